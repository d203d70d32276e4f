#pragma once
// Character classes of HTTP/1 heads (RFC 9110 §5.6.2, §5.5, RFC 3986 §3.2.2), shared by the
// head parser and the trailer reader of the body framer. One table lookup per byte: every byte of
// every head of a keep-alive connection goes through these.
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tlsgate::http::h1 {

namespace chars {

enum Class : std::uint8_t {
  tchar = 1,      // a token's characters (field names, methods, transfer codings)
  field = 2,      // field-vchar or SP / HTAB: what a field value may hold (obs-text included; no CTLs)
  ows = 4,        // SP / HTAB
  authority = 8,  // uri-host [ ":" port ] characters (reg-name, IP literals); no userinfo, no spaces
};

constexpr std::uint8_t classify(std::uint8_t c) {
  const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  std::uint8_t out = 0;
  if (alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) out |= tchar;
  if (c == '\t' || (c >= 0x20 && c != 0x7f)) out |= field;
  if (c == ' ' || c == '\t') out |= ows;
  if (c != 0 && (alnum || std::string_view("-._~!$&'()*+,;=%:[]").find(static_cast<char>(c)) != std::string_view::npos)) {
    out |= authority;
  }
  return out;
}

constexpr std::array<std::uint8_t, 256> table = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) t[c] = classify(static_cast<std::uint8_t>(c));
  return t;
}();

}  // namespace chars

constexpr bool is_tchar(std::uint8_t c) { return (chars::table[c] & chars::tchar) != 0; }
constexpr bool is_field_char(std::uint8_t c) { return (chars::table[c] & chars::field) != 0; }
constexpr bool is_ows(std::uint8_t c) { return (chars::table[c] & chars::ows) != 0; }
constexpr bool is_authority_char(std::uint8_t c) { return (chars::table[c] & chars::authority) != 0; }

// True when every byte of `s` is of class `c`.
constexpr bool all_of_class(std::string_view s, chars::Class c) {
  for (const char ch : s) {
    if ((chars::table[static_cast<std::uint8_t>(ch)] & c) == 0) return false;
  }
  return true;
}

// is_field_char() over a whole value, eight bytes at a time (values are most of a head's bytes):
// a word with no byte below 0x20 and none equal to 0x7f passes at once; any other word is read
// byte by byte (HTAB is the one control byte allowed).
inline bool all_field_chars(std::string_view s) {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t below_space = (w - 0x20 * ones) & ~w & highs;  // bytes < 0x20 (high bit clear)
    const std::uint64_t del = w ^ (0x7f * ones);
    const std::uint64_t is_del = (del - ones) & ~del & highs;  // bytes == 0x7f
    if ((below_space | is_del) != 0 && !all_of_class(s.substr(i, 8), chars::field)) return false;
  }
  return all_of_class(s.substr(i), chars::field);
}

}  // namespace tlsgate::http::h1

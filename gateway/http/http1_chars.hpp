#pragma once
// Character classes of HTTP/1 heads (RFC 9110 §5.6.2, §5.5, RFC 3986 §3.2.2), shared by the
// head parser and the trailer reader of the body framer. One table lookup per byte: every byte of
// every head of a keep-alive connection goes through these.
#include <array>
#include <cstdint>
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

}  // namespace tlsgate::http::h1

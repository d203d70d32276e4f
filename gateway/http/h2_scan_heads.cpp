#include "gateway/http/h2_scan_heads.hpp"

#include <algorithm>
#include <new>

namespace tlsgate::http::h2 {
namespace {

// A decoder may allow more dynamic table than an encoder uses, never less (RFC 7541 §4.2).
constexpr std::uint32_t max_table_bytes = 64 * 1024;

// HPACK carries any octets; an HTTP/1 head for ICAP must not get a CR, LF or NUL from them.
bool safe(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

std::optional<std::uint64_t> digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

BlockDecoder::BlockDecoder() {
  nghttp2_hd_inflater* p = nullptr;
  if (nghttp2_hd_inflate_new(&p) != 0) throw std::bad_alloc();
  inflater_.reset(p);
}

std::optional<HeaderFields> BlockDecoder::decode(std::span<const std::uint8_t> block, std::size_t max_bytes) {
  HeaderFields fields;
  const std::uint8_t* in = block.data();
  std::size_t left = block.size();
  std::size_t size = 0;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    const auto used = nghttp2_hd_inflate_hd2(inflater_.get(), &nv, &flags, in, left, 1);
    if (used < 0) return std::nullopt;
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
      size += nv.namelen + nv.valuelen + 32;
      if (size > max_bytes) return std::nullopt;
      fields.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                          std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(inflater_.get());
      return fields;
    }
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) return std::nullopt;
  }
}

void BlockDecoder::allow_table(std::uint32_t bytes) {
  const std::uint32_t size = std::min(bytes, max_table_bytes);
  if (size > table_bytes_ && nghttp2_hd_inflate_change_table_size(inflater_.get(), size) == 0) table_bytes_ = size;
}

RequestFacts request_facts(const HeaderFields& fields) {
  std::string_view method, path, authority, host;
  for (const auto& [name, value] : fields) {
    if (name == ":method") method = value;
    else if (name == ":path") path = value;
    else if (name == ":authority") authority = value;
    else if (name == "host") host = value;
  }
  RequestFacts facts;
  facts.connect = method == "CONNECT";
  if (authority.empty()) authority = host;
  if (method.empty() || path.empty() || !safe(method) || !safe(path) || !safe(authority) ||
      method.find(' ') != std::string_view::npos || path.find(' ') != std::string_view::npos) {
    return facts;
  }
  facts.head.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  if (!authority.empty()) facts.head.append("Host: ").append(authority).append("\r\n");
  facts.head += "\r\n";
  return facts;
}

ResponseFacts response_facts(const HeaderFields& fields) {
  ResponseFacts facts;
  std::string lines;
  for (const auto& [name, value] : fields) {
    if (name == ":status") {
      const auto code = digits(value);
      if (value.size() == 3 && code) facts.status = static_cast<int>(*code);
      continue;
    }
    if (name.empty() || name[0] == ':' || !safe(name) || !safe(value) || name.find(':') != std::string::npos) continue;
    if (name == "content-length") facts.content_length = digits(value);
    if (name == "content-type") facts.content_type = value;
    lines.append(name).append(": ").append(value).append("\r\n");
  }
  if (facts.status == 0) return facts;
  facts.head = "HTTP/1.1 " + std::to_string(facts.status) + " \r\n" + lines + "\r\n";
  return facts;
}

}  // namespace tlsgate::http::h2

#include "gateway/http/http1_dechunk.hpp"

#include <cstdint>

namespace tlsgate::http::h1 {

std::optional<std::string> dechunk(std::string_view chunked) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t line_end = chunked.find("\r\n", pos);
    if (line_end == std::string_view::npos) return std::nullopt;
    std::uint64_t size = 0;
    std::size_t digits = 0;
    for (std::size_t i = pos; i < line_end; ++i, ++digits) {
      const char c = chunked[i];
      int v = -1;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
      if (v < 0) break;  // an extension (";...") or whitespace before it follows
      if (size > (UINT64_MAX >> 4)) return std::nullopt;
      size = size * 16 + static_cast<std::uint64_t>(v);
    }
    if (digits == 0) return std::nullopt;
    pos = line_end + 2;
    if (size == 0) return out;  // the trailer section follows: not part of the payload
    if (size > chunked.size() - pos || chunked.size() - pos - size < 2) return std::nullopt;
    out.append(chunked.substr(pos, size));
    pos += size;
    if (chunked.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
  }
}

}  // namespace tlsgate::http::h1

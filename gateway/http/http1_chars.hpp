#pragma once
// Character classes of HTTP/1 heads (RFC 9110 §5.6.2, §5.5), shared by the head parser and
// the trailer reader of the body framer.
#include <cstdint>

namespace tlsgate::http::h1 {

// tchar: a token's characters (field names, methods, transfer codings).
constexpr bool is_tchar(std::uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// field-vchar or SP / HTAB: what a field value may hold (obs-text included; no CTLs).
constexpr bool is_field_char(std::uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

constexpr bool is_ows(std::uint8_t c) { return c == ' ' || c == '\t'; }

}  // namespace tlsgate::http::h1

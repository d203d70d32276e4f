#include "gateway/http/header_edit.hpp"

#include <algorithm>
#include <array>

#include "gateway/http/http1_chars.hpp"

namespace tlsgate::http {
namespace {

// Fields that frame a message or route it, and the hop-by-hop ones (RFC 9110 §7.6.1, RFC 9113
// §8.2.2): the gate keeps them as the client sent them.
constexpr std::array<std::string_view, 10> protected_fields = {
    "host",    "content-length", "transfer-encoding", "connection",       "upgrade",
    "te",      "trailer",        "keep-alive",        "proxy-connection", "http2-settings",
};

}  // namespace

bool same_field_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; };
    return lower(x) == lower(y);
  });
}

std::optional<std::string> header_edit_error(const HeaderEdit& edit) {
  const std::string_view name = edit.name;
  if (name.empty()) return "empty header name";
  if (name.front() == ':') return "pseudo-header " + edit.name + " cannot be changed";
  if (!std::all_of(name.begin(), name.end(), [](char c) { return h1::is_tchar(static_cast<std::uint8_t>(c)); })) {
    return "header name " + edit.name + " is not a token";
  }
  for (const std::string_view field : protected_fields) {
    if (same_field_name(name, field)) return edit.name + " frames or routes the request and cannot be changed";
  }
  if (edit.kind == HeaderEdit::Kind::remove) return std::nullopt;
  const std::string_view value = edit.value;
  if (!std::all_of(value.begin(), value.end(), [](char c) { return h1::is_field_char(static_cast<std::uint8_t>(c)); })) {
    return "value of " + edit.name + " holds a control character (CR, LF, NUL, ...)";
  }
  if (!value.empty() && (h1::is_ows(static_cast<std::uint8_t>(value.front())) ||
                         h1::is_ows(static_cast<std::uint8_t>(value.back())))) {
    return "value of " + edit.name + " starts or ends with whitespace";
  }
  return std::nullopt;
}

std::string describe(const HeaderEdit& edit) {
  return (edit.kind == HeaderEdit::Kind::set ? "set " : "remove ") + edit.name;
}

}  // namespace tlsgate::http

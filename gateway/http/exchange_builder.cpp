#include "gateway/http/exchange_builder.hpp"

#include <algorithm>
#include <array>

namespace tlsgate::http {

namespace {

constexpr std::string_view redacted = "[redacted]";

bool is_sensitive(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "proxy-authorization" || lower_name == "cookie" ||
         lower_name == "set-cookie";
}

nlohmann::ordered_json message_json(HeaderFields&& headers, std::uint64_t body_bytes,
                                    const std::optional<std::string>& content_type,
                                    const std::optional<std::string>& body_b64) {
  nlohmann::ordered_json j;
  j["headers"] = std::move(headers).to_json();
  j["body_bytes"] = body_bytes;
  j["content_type"] = content_type ? nlohmann::ordered_json(*content_type) : nullptr;
  if (body_b64) j["body_b64"] = *body_b64;
  return j;
}

template <class T>
nlohmann::ordered_json or_null(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::optional<std::string> add_header(HeaderFields& headers, std::size_t& exchange_bytes,
                                      std::optional<std::string>& content_type, std::string_view name,
                                      std::string_view value, const HttpLimits& limits) {
  if (headers.received() >= limits.max_header_fields)
    return "more than " + std::to_string(limits.max_header_fields) + " header fields in one message (max_header_fields)";
  exchange_bytes += name.size() + value.size();
  if (exchange_bytes > limits.max_exchange_header_bytes)
    return "more than " + std::to_string(limits.max_exchange_header_bytes) + " header bytes in one exchange";
  std::string key = json_safe(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  if (key == "content-type" && !content_type) content_type = json_safe(value);
  const bool hide = limits.redact && is_sensitive(key);
  // A repeat of a redacted field is not joined: the value stays "[redacted]".
  headers.add(std::move(key), hide ? std::string(redacted) : json_safe(value), !hide);
  return std::nullopt;
}

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629 table), 0 if ill-formed.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = at(0);
  if (c < 0x80) return 1;
  // Sequence length and the allowed range of the second byte, which excludes overlong forms,
  // surrogates and code points past U+10FFFF.
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    lo = c == 0xe0 ? 0xa0 : 0x80;
    hi = c == 0xed ? 0x9f : 0xbf;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    lo = c == 0xf0 ? 0x90 : 0x80;
    hi = c == 0xf4 ? 0x8f : 0xbf;
  }
  if (len == 0 || i + len > text.size() || at(1) < lo || at(1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if ((at(k) & 0xc0) != 0x80) return 0;
  }
  return len;
}

std::string json_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_length(text, i);
    if (len == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::optional<std::string> BodyRecorder::capture(std::size_t limit) const {
  if (limit == 0) return std::nullopt;
  return base64_encode(captured);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                            (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) | std::uint8_t(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(v >> shift) & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2) v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

void append_json(nlohmann::ordered_json& j, HttpExchange&& e) {
  j["http_version"] = std::move(e.http_version);
  j["method"] = std::move(e.method);
  j["scheme"] = std::move(e.scheme);
  j["authority"] = std::move(e.authority);
  j["path"] = std::move(e.path);
  j["status"] = or_null(e.status);
  j["request"] = message_json(std::move(e.request_headers), e.request_body_bytes, e.request_content_type,
                              e.request_body_b64);
  j["response"] = message_json(std::move(e.response_headers), e.response_body_bytes, e.response_content_type,
                               e.response_body_b64);
  j["timings"] = {{"ms_to_first_byte", or_null(e.ms_to_first_byte)}, {"ms_to_end", or_null(e.ms_to_end)}};
  if (e.error) j["error"] = std::move(*e.error);
}

nlohmann::ordered_json to_json(const HttpExchange& e) {
  nlohmann::ordered_json j;
  append_json(j, HttpExchange(e));
  return j;
}

}  // namespace tlsgate::http

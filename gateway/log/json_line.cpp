#include "gateway/log/json_line.hpp"

#include <array>
#include <charconv>

namespace tlsgate::log {

void append_string(std::string& out, std::string_view text) {
  for (const unsigned char c : text) {
    if (c >= 0x80) {  // rare in logged fields: let nlohmann validate and replace
      append_json(out, nlohmann::ordered_json(std::string(text)));
      return;
    }
  }
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (const unsigned char c : text) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0x0f]};
          out.append(esc, sizeof esc);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void append_uint(std::string& out, std::uint64_t value) {
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), end);
}

void append_int(std::string& out, std::int64_t value) {
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), end);
}

void append_double(std::string& out, double value) { append_json(out, nlohmann::ordered_json(value)); }

void append_null(std::string& out) { out.append("null"); }

void append_json(std::string& out, const nlohmann::ordered_json& value) {
  out.append(value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void append_key(std::string& out, std::string_view key, bool first) {
  if (!first) out.push_back(',');
  append_string(out, key);
  out.push_back(':');
}

}  // namespace tlsgate::log

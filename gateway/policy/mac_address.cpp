#include "gateway/policy/mac_address.hpp"

namespace tlsgate::policy {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  const char separator = text[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  MacAddress mac;
  for (std::size_t i = 0; i < 6; ++i) {
    const auto at = i * 3;
    if (i > 0 && text[at - 1] != separator) return std::nullopt;
    const int high = hex_value(text[at]);
    const int low = hex_value(text[at + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    mac.bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return mac;
}

std::string MacAddress::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    if (!out.empty()) out += ':';
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

}  // namespace tlsgate::policy

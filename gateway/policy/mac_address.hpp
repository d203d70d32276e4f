#pragma once
// A link-layer (Ethernet) address, for client groups by MAC.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tlsgate::policy {

struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  // "aa:bb:cc:dd:ee:ff" or "AA-BB-CC-DD-EE-FF" (two hex digits per byte); nullopt otherwise.
  static std::optional<MacAddress> parse(std::string_view text);
  std::string to_string() const;  // lower case, colons

  auto operator<=>(const MacAddress&) const = default;
};

}  // namespace tlsgate::policy

#pragma once
// A plain IPv4 / IPv6 address value, free of socket types so that pure code
// (policy, Community ID, flow records) can use it.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tlsgate {

struct IpAddress {
  enum class Family : std::uint8_t { v4, v6 };
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  static IpAddress v4(std::array<std::uint8_t, 4> octets);
  static IpAddress v6(std::array<std::uint8_t, 16> octets);
  // Parses dotted-quad or RFC 5952 text; nullopt if it is neither.
  static std::optional<IpAddress> parse(std::string_view text);

  bool is_v4() const { return family == Family::v4; }
  std::span<const std::uint8_t> octets() const { return {bytes.data(), is_v4() ? 4u : 16u}; }
  std::string to_string() const;
  // ::ffff:a.b.c.d becomes a.b.c.d; anything else is returned unchanged.
  IpAddress unmapped() const;

  auto operator<=>(const IpAddress&) const = default;
};

struct Endpoint {
  IpAddress ip;
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

}  // namespace tlsgate

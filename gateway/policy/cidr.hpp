#pragma once
// An address prefix (192.168.0.0/16, fd00::/8) for policy matchers.
#include <optional>
#include <string>
#include <string_view>

#include "gateway/ip_address.hpp"

namespace tlsgate::policy {

struct Cidr {
  IpAddress network;   // host bits are zero
  unsigned prefix = 0;  // 0..32 for IPv4, 0..128 for IPv6

  // "a.b.c.d/n", "v6/n", or a bare address (a /32 or /128). A prefix under
  // ::ffff:0:0/96 (IPv4-mapped) is stored as the IPv4 prefix it names, so that
  // it and the unmapped client address meet. Host bits set after the prefix
  // ("10.1.2.3/8") are an error: they usually mean a typo. nullopt on any error.
  static std::optional<Cidr> parse(std::string_view text);

  // True when `ip` (compared unmapped: ::ffff:10.1.2.3 is 10.1.2.3) is inside.
  bool contains(const IpAddress& ip) const;
  // True when every address of `other` is inside this prefix.
  bool contains(const Cidr& other) const;
  std::string to_string() const;

  auto operator<=>(const Cidr&) const = default;
};

}  // namespace tlsgate::policy

#pragma once
// A named set of clients, from the policy's "groups": by address prefix, or by
// MAC address as the gateway's neighbour table reports it.
#include <optional>
#include <string>
#include <vector>

#include "gateway/ip_address.hpp"
#include "gateway/policy/cidr.hpp"
#include "gateway/policy/mac_address.hpp"

namespace tlsgate::policy {

struct ClientGroup {
  std::string name;
  std::vector<Cidr> clients;
  std::vector<MacAddress> macs;

  // True when `client` is inside one of the prefixes, or `mac` (unknown: no
  // match) is listed.
  bool contains(const std::optional<IpAddress>& client, const std::optional<MacAddress>& mac) const;
};

}  // namespace tlsgate::policy

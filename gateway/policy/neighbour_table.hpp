#pragma once
// The gateway's neighbour table (which MAC address each LAN IP address has
// now), as the daemon reads it from the kernel and publishes it: an immutable
// snapshot the flows look their client up in, for client groups by MAC.
#include <optional>
#include <utility>
#include <vector>

#include "gateway/ip_address.hpp"
#include "gateway/policy/mac_address.hpp"

namespace tlsgate::policy {

class NeighbourTable {
 public:
  NeighbourTable() = default;
  // Addresses are kept unmapped (::ffff:10.0.0.2 is 10.0.0.2); for an address
  // listed twice, the first entry counts.
  explicit NeighbourTable(std::vector<std::pair<IpAddress, MacAddress>> entries);

  // The MAC address of `ip` (compared unmapped); nullopt when not known.
  std::optional<MacAddress> find(const IpAddress& ip) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<IpAddress, MacAddress>> entries_;  // sorted by address
};

}  // namespace tlsgate::policy

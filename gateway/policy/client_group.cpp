#include "gateway/policy/client_group.hpp"

#include <algorithm>

namespace tlsgate::policy {

bool ClientGroup::contains(const std::optional<IpAddress>& client, const std::optional<MacAddress>& mac) const {
  if (client && std::any_of(clients.begin(), clients.end(), [&](const Cidr& c) { return c.contains(*client); }))
    return true;
  return mac && std::find(macs.begin(), macs.end(), *mac) != macs.end();
}

}  // namespace tlsgate::policy

#pragma once
// This host's own addresses: a connection whose original destination is one of
// them was not redirected to us (flow/original_dst is_redirected).
#include <vector>

#include "gateway/ip_address.hpp"

namespace tlsgate {

// Every address configured on this host's interfaces (getifaddrs).
std::vector<IpAddress> local_addresses();

}  // namespace tlsgate

#pragma once
// Who "one client" is for per-client limits (max_flows_per_client, the learned
// bypass's max_per_client): an IPv4 address, or an IPv6 prefix. A host usually
// gets a whole /64 and can pick any address in it, so counting IPv6 addresses
// one by one would let it take every slot.
#include "gateway/ip_address.hpp"

namespace tlsgate {

// IPv4 (and IPv4-mapped IPv6, unmapped first): the address itself. IPv6: the address
// with every bit past `ipv6_prefix` cleared (128: the address itself).
IpAddress client_key(const IpAddress& client, unsigned ipv6_prefix);

}  // namespace tlsgate

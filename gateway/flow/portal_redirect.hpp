#pragma once
// Where a plain-HTTP request that is onboarded is sent: the CA onboarding
// portal (portal_listen), as the client can reach it, and the small page the
// 302 carries for clients that do not follow it.
#include <optional>
#include <string>

#include "gateway/ip_address.hpp"

namespace tlsgate {

// "http://10.10.1.1:8080/" ("http://[fd10:1::1]:8080/" for IPv6). A wildcard
// portal_listen (0.0.0.0, ::) has no address to name: then the URL names the
// gateway's address on the client's side, the source address the kernel picks
// for a packet to the client (a route lookup, nothing is sent). That is the
// address a REDIRECT flow arrived on, and with TPROXY, where the flow's local
// address is the server's, it is still the gateway's own. nullopt when the
// kernel has no route back to the client.
std::optional<std::string> portal_url(const Endpoint& portal_listen, const IpAddress& client);

// The 302's body: a link to `url` (built from an address and a port: nothing to escape).
std::string onboard_page(const std::string& url);

}  // namespace tlsgate

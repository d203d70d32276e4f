#pragma once
// forbidden_destinations: original destinations a redirected flow may never
// reach through the gateway (loopback, link-local, ... by default). The config
// keeps them as text (the basics room cannot parse prefixes); they become
// prefixes here, once, at startup.
#include <string>
#include <vector>

#include "gateway/ip_address.hpp"
#include "gateway/policy/cidr.hpp"

namespace tlsgate {

// The config's prefixes; a ConfigError naming the key and the bad entry.
std::vector<policy::Cidr> parse_forbidden_destinations(const std::vector<std::string>& texts);

bool is_forbidden(const std::vector<policy::Cidr>& forbidden, const IpAddress& ip);

}  // namespace tlsgate

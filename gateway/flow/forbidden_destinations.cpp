#include "gateway/flow/forbidden_destinations.hpp"

#include <algorithm>

#include "gateway/config.hpp"

namespace tlsgate {

std::vector<policy::Cidr> parse_forbidden_destinations(const std::vector<std::string>& texts) {
  std::vector<policy::Cidr> out;
  for (const std::string& text : texts) {
    const auto cidr = policy::Cidr::parse(text);
    if (!cidr) throw ConfigError("forbidden_destinations: '" + text + "' is not an address prefix (a.b.c.d/n or v6/n)");
    out.push_back(*cidr);
  }
  return out;
}

bool is_forbidden(const std::vector<policy::Cidr>& forbidden, const IpAddress& ip) {
  return std::any_of(forbidden.begin(), forbidden.end(), [&](const policy::Cidr& c) { return c.contains(ip); });
}

}  // namespace tlsgate

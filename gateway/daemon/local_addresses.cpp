#include "gateway/daemon/local_addresses.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

#include "gateway/flow/original_dst.hpp"

namespace tlsgate {

std::vector<IpAddress> local_addresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    sockaddr_storage ss{};
    const auto family = it->ifa_addr->sa_family;
    if (family == AF_INET) std::memcpy(&ss, it->ifa_addr, sizeof(sockaddr_in));
    else if (family == AF_INET6) std::memcpy(&ss, it->ifa_addr, sizeof(sockaddr_in6));
    else continue;
    if (auto ep = from_sockaddr(ss)) out.push_back(ep->ip);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace tlsgate

#include "gateway/flow/original_dst.hpp"

#include <arpa/inet.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tlsgate {

std::optional<Endpoint> from_sockaddr(const sockaddr_storage& ss) {
  Endpoint ep;
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &sin.sin_addr, 4);
    ep.ip = IpAddress::v4(b);
    ep.port = ntohs(sin.sin_port);
    return ep;
  }
  if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6.sin6_addr, 16);
    ep.ip = IpAddress::v6(b).unmapped();
    ep.port = ntohs(sin6.sin6_port);
    return ep;
  }
  return std::nullopt;
}

std::optional<Endpoint> local_endpoint(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return from_sockaddr(ss);
}

std::optional<Endpoint> peer_endpoint(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return from_sockaddr(ss);
}

std::optional<Endpoint> original_destination(int fd, RedirectMode mode, int* error_number) {
  if (mode == RedirectMode::tproxy) return local_endpoint(fd);
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    if (error_number) *error_number = errno;
    return std::nullopt;
  }
  // An IPv4 client on a dual-stack socket still has an IPv4 conntrack entry.
  const bool v4 = local.ss_family == AF_INET ||
                  (local.ss_family == AF_INET6 &&
                   IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6&>(local).sin6_addr));
  sockaddr_storage ss{};
  len = sizeof ss;
  const int rc = v4 ? getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len)
                    : getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len);
  if (rc != 0) {
    if (error_number) *error_number = errno;
    return std::nullopt;
  }
  return from_sockaddr(ss);
}

bool is_redirected(RedirectMode mode, const Endpoint& original, const Endpoint& local,
                   const std::vector<IpAddress>& own_addresses) {
  if (mode == RedirectMode::redirect && original == local) return false;
  return std::find(own_addresses.begin(), own_addresses.end(), original.ip) == own_addresses.end();
}

}  // namespace tlsgate

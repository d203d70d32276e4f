#pragma once
// Where a redirected connection was really going, and whether it was
// redirected to us at all (the gateway is never an open proxy).
#include <sys/socket.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate {

// The original destination of an accepted socket: SO_ORIGINAL_DST /
// IP6T_SO_ORIGINAL_DST for REDIRECT, the socket's local address for TPROXY.
// nullopt on failure, with *error_number set (ENOENT: the kernel has no
// conntrack NAT entry, i.e. the connection was not redirected).
std::optional<Endpoint> original_destination(int fd, RedirectMode mode, int* error_number);

// Where run_flow() learns a connection's original destination, with
// original_destination()'s contract: the daemon passes that kernel lookup, a
// test without root names its own upstream.
using OriginalDestinationLookup = std::function<std::optional<Endpoint>(int fd, RedirectMode mode, int* error_number)>;

// The local address the connection arrived on, and its peer.
std::optional<Endpoint> local_endpoint(int fd);
std::optional<Endpoint> peer_endpoint(int fd);

// An IPv4 or IPv6 socket address as an Endpoint (IPv4-mapped IPv6 unmapped);
// nullopt for another family.
std::optional<Endpoint> from_sockaddr(const sockaddr_storage& address);

// A connection was redirected to us when its original destination is not an
// address of this gateway. With REDIRECT, an original destination equal to the
// accepted socket's local endpoint also means nobody rewrote it; with TPROXY
// they are always equal, so only the address check applies.
bool is_redirected(RedirectMode mode, const Endpoint& original, const Endpoint& local,
                   const std::vector<IpAddress>& own_addresses);

}  // namespace tlsgate

#pragma once
// Pure reader of the IPv4 / IPv6 and UDP headers of a packet handed over by NFQUEUE
// (RFC 791, RFC 8200, RFC 768). Bytes in, endpoints and the UDP payload out.
#include <cstdint>
#include <optional>
#include <span>

#include "gateway/ip_address.hpp"

namespace tlsgate::netfilter {

struct UdpDatagram {
  Endpoint source;
  Endpoint destination;
  std::span<const std::uint8_t> payload;  // points into the packet
};

// nullopt if the packet is not a whole, unfragmented UDP datagram: another protocol, a
// fragment, an IPv6 extension header other than hop-by-hop, routing or destination options,
// or lengths that run past the packet. A UDP length shorter than the packet trims the payload.
std::optional<UdpDatagram> parse_ip_udp(std::span<const std::uint8_t> packet);

}  // namespace tlsgate::netfilter

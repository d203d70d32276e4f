#include "netfilter/ip_udp.hpp"

#include <algorithm>

namespace tlsgate::netfilter {
namespace {

constexpr std::uint8_t ip_proto_udp = 17;
constexpr std::size_t udp_header_bytes = 8;

std::uint16_t be16(std::span<const std::uint8_t> p, std::size_t at) {
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}

std::optional<UdpDatagram> parse_udp(std::span<const std::uint8_t> l4, IpAddress src, IpAddress dst) {
  if (l4.size() < udp_header_bytes) return std::nullopt;
  const std::size_t length = be16(l4, 4);
  if (length < udp_header_bytes || length > l4.size()) return std::nullopt;
  return UdpDatagram{{src, be16(l4, 0)}, {dst, be16(l4, 2)}, l4.subspan(udp_header_bytes, length - udp_header_bytes)};
}

std::optional<UdpDatagram> parse_v4(std::span<const std::uint8_t> p) {
  if (p.size() < 20) return std::nullopt;
  const std::size_t header = (p[0] & 0x0f) * 4u;
  const std::size_t total = be16(p, 2);
  if (header < 20 || total < header || total > p.size()) return std::nullopt;
  if ((be16(p, 6) & 0x3fff) != 0) return std::nullopt;  // MF set or a fragment offset
  if (p[9] != ip_proto_udp) return std::nullopt;
  std::array<std::uint8_t, 4> src{}, dst{};
  std::copy_n(p.begin() + 12, 4, src.begin());
  std::copy_n(p.begin() + 16, 4, dst.begin());
  return parse_udp(p.subspan(header, total - header), IpAddress::v4(src), IpAddress::v4(dst));
}

std::optional<UdpDatagram> parse_v6(std::span<const std::uint8_t> p) {
  constexpr std::size_t fixed = 40;
  if (p.size() < fixed) return std::nullopt;
  const std::size_t total = fixed + be16(p, 4);
  if (total > p.size()) return std::nullopt;
  std::array<std::uint8_t, 16> src{}, dst{};
  std::copy_n(p.begin() + 8, 16, src.begin());
  std::copy_n(p.begin() + 24, 16, dst.begin());
  std::uint8_t next = p[6];
  std::size_t at = fixed;
  // Hop-by-hop (0), routing (43) and destination options (60) share one length format.
  while (next == 0 || next == 43 || next == 60) {
    if (at + 2 > total) return std::nullopt;
    const std::size_t len = (p[at + 1] + 1u) * 8;
    next = p[at];
    at += len;
    if (at > total) return std::nullopt;
  }
  if (next != ip_proto_udp) return std::nullopt;
  return parse_udp(p.subspan(at, total - at), IpAddress::v6(src), IpAddress::v6(dst));
}

}  // namespace

std::optional<UdpDatagram> parse_ip_udp(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return std::nullopt;
  switch (packet[0] >> 4) {
    case 4: return parse_v4(packet);
    case 6: return parse_v6(packet);
    default: return std::nullopt;
  }
}

}  // namespace tlsgate::netfilter

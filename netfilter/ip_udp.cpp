#include "netfilter/ip_udp.hpp"

#include <algorithm>

#include "gateway/byte_reader.hpp"

namespace tlsgate::netfilter {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint8_t ip_proto_udp = 17;
constexpr std::size_t udp_header_bytes = 8;

template <std::size_t N>
std::array<std::uint8_t, N> address(Bytes bytes) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(bytes.begin(), N, out.begin());
  return out;
}

std::optional<UdpDatagram> parse_udp(Bytes l4, IpAddress src, IpAddress dst) {
  ByteReader r(l4);
  std::uint16_t src_port = 0, dst_port = 0, length = 0;
  if (!r.u16(src_port) || !r.u16(dst_port) || !r.u16(length) || !r.skip(2)) return std::nullopt;
  if (length < udp_header_bytes || length > l4.size()) return std::nullopt;
  return UdpDatagram{{src, src_port}, {dst, dst_port}, l4.subspan(udp_header_bytes, length - udp_header_bytes)};
}

// RFC 791 3.1.
std::optional<UdpDatagram> parse_v4(Bytes p) {
  ByteReader r(p);
  std::uint8_t version_ihl = 0, protocol = 0;
  std::uint16_t total = 0, fragment = 0;
  Bytes src, dst;
  if (!r.u8(version_ihl) || !r.skip(1) || !r.u16(total) || !r.skip(2) || !r.u16(fragment) || !r.skip(1) ||
      !r.u8(protocol) || !r.skip(2) || !r.bytes(4, src) || !r.bytes(4, dst))
    return std::nullopt;
  const std::size_t header = (version_ihl & 0x0f) * 4u;
  if (header < 20 || total < header || total > p.size()) return std::nullopt;
  if ((fragment & 0x3fff) != 0) return std::nullopt;  // MF set or a fragment offset
  if (protocol != ip_proto_udp) return std::nullopt;
  return parse_udp(p.subspan(header, total - header), IpAddress::v4(address<4>(src)), IpAddress::v4(address<4>(dst)));
}

// RFC 8200 3 and 4.
std::optional<UdpDatagram> parse_v6(Bytes p) {
  constexpr std::size_t fixed = 40;
  ByteReader r(p);
  std::uint16_t payload_length = 0;
  std::uint8_t next = 0;
  Bytes src, dst;
  if (!r.skip(4) || !r.u16(payload_length) || !r.u8(next) || !r.skip(1) || !r.bytes(16, src) || !r.bytes(16, dst))
    return std::nullopt;
  const std::size_t total = fixed + payload_length;
  if (total > p.size()) return std::nullopt;
  ByteReader ext(p.first(total).subspan(fixed));
  // Hop-by-hop (0), routing (43) and destination options (60) share one length format.
  while (next == 0 || next == 43 || next == 60) {
    std::uint8_t length_units = 0;
    if (!ext.u8(next) || !ext.u8(length_units) || !ext.skip((length_units + 1u) * 8 - 2)) return std::nullopt;
  }
  if (next != ip_proto_udp) return std::nullopt;
  const std::size_t at = fixed + ext.position();
  return parse_udp(p.subspan(at, total - at), IpAddress::v6(address<16>(src)), IpAddress::v6(address<16>(dst)));
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

// Fuzzes the IPv4 / IPv6 + UDP reader of the NFQUEUE packets (netfilter/ip_udp): any bytes
// in; a datagram out only if its payload lies inside the packet, after the headers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "netfilter/ip_udp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> packet(data, size);
  const auto udp = tlsgate::netfilter::parse_ip_udp(packet);
  if (!udp) return 0;
  const auto* begin = udp->payload.data();
  const auto* end = begin + udp->payload.size();
  const std::size_t min_headers = (data[0] >> 4) == 4 ? 28 : 48;  // IP + UDP headers
  if (begin < data + min_headers || end > data + size) std::abort();
  if (udp->source.ip.is_v4() != ((data[0] >> 4) == 4)) std::abort();
  volatile std::uint8_t sink = 0;
  for (auto b : udp->payload) sink = sink ^ b;  // ASan: every payload byte is readable
  return 0;
}

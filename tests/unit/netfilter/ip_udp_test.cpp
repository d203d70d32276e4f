#include "netfilter/ip_udp.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tlsgate::netfilter {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes udp_part{0xc3, 0x50, 0x01, 0xbb, 0x00, 0x0b, 0x00, 0x00, 'a', 'b', 'c'};  // 50000 -> 443

// Joins parts into a vector reserved up front (GCC 12 warns falsely on growing a small one).
Bytes join(std::initializer_list<const Bytes*> parts) {
  Bytes out;
  out.reserve(128);
  for (const Bytes* part : parts) out.insert(out.end(), part->begin(), part->end());
  return out;
}

Bytes ipv4(std::uint16_t frag = 0, std::uint8_t proto = 17) {
  const Bytes h{0x45, 0, 0, static_cast<std::uint8_t>(20 + udp_part.size()), 0, 0, static_cast<std::uint8_t>(frag >> 8),
          static_cast<std::uint8_t>(frag), 64, proto, 0, 0, 10, 10, 1, 2, 10, 10, 2, 2};
  return join({&h, &udp_part});
}

Bytes ipv6(std::uint8_t next, const Bytes& ext) {
  const Bytes h{0x60, 0, 0, 0, 0, static_cast<std::uint8_t>(ext.size() + udp_part.size()), next, 64};
  Bytes src(16, 0), dst(16, 0);
  src[0] = 0xfd, src[15] = 2, dst[0] = 0xfd, dst[15] = 9;
  return join({&h, &src, &dst, &ext, &udp_part});
}

void expect_abc(const std::optional<UdpDatagram>& d, const char* src, const char* dst) {
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source.ip.to_string(), src);
  EXPECT_EQ(d->source.port, 50000);
  EXPECT_EQ(d->destination.ip.to_string(), dst);
  EXPECT_EQ(d->destination.port, 443);
  EXPECT_EQ(Bytes(d->payload.begin(), d->payload.end()), (Bytes{'a', 'b', 'c'}));
}

TEST(IpUdp, Ipv4) { expect_abc(parse_ip_udp(ipv4()), "10.10.1.2", "10.10.2.2"); }

TEST(IpUdp, Ipv6DirectAndAfterExtensionHeaders) {
  expect_abc(parse_ip_udp(ipv6(17, {})), "fd00::2", "fd00::9");
  const Bytes hop_by_hop{17, 0, 1, 4, 0, 0, 0, 0};  // next UDP, 8 bytes, PadN
  expect_abc(parse_ip_udp(ipv6(0, hop_by_hop)), "fd00::2", "fd00::9");
}

TEST(IpUdp, RejectsWhatIsNotAWholeUdpDatagram) {
  EXPECT_FALSE(parse_ip_udp(ipv4(0x2000)));     // more fragments
  EXPECT_FALSE(parse_ip_udp(ipv4(0x0001)));     // a later fragment
  EXPECT_FALSE(parse_ip_udp(ipv4(0, 6)));       // TCP
  EXPECT_FALSE(parse_ip_udp(ipv6(44, {17, 0, 0, 0, 0, 0, 0, 1})));  // IPv6 fragment header
  EXPECT_FALSE(parse_ip_udp({}));
  const Bytes whole = ipv4();
  for (std::size_t n = 0; n < whole.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(parse_ip_udp(std::span(whole.data(), n)));  // every truncation
  }
}

}  // namespace
}  // namespace tlsgate::netfilter

#include "gateway/capture/tcp_synth.hpp"

#include <gtest/gtest.h>

#include "tests/support/tcp_stream_check.hpp"

namespace tlsgate::capture {
namespace {

struct Case {
  const char* name;
  const char* client_ip;
  const char* server_ip;
  std::size_t client_bytes;
  std::size_t server_bytes;
  bool reset;
  std::size_t mss;
};

const Case cases[] = {
    {"v4_empty", "10.0.0.2", "10.0.0.3", 0, 0, false, mss_v4},
    {"v4_one_byte", "10.0.0.2", "10.0.0.3", 1, 1, false, mss_v4},
    {"v4_exactly_mss", "10.0.0.2", "10.0.0.3", mss_v4, mss_v4 + 1, false, mss_v4},
    {"v4_large", "10.0.0.2", "10.0.0.3", 100, 1 << 20, false, mss_v4},
    {"v4_mapped_is_v4", "::ffff:10.0.0.2", "10.0.0.3", 3000, 70000, false, mss_v4},
    {"v6_large_upload", "fd10:1::2", "fd10:2::2", 300000, 157, false, mss_v6},
    {"v6_reset", "fd10:1::2", "fd10:2::2", 5, 100000, true, mss_v6},
    {"mixed_families_as_v6", "10.0.0.2", "fd10:2::2", 10, 10, false, mss_v6},
};

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + seed);
  return v;
}

TEST(TcpSynth, ConversationsReassembleWithConsistentNumbers) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TcpSynth synth({*IpAddress::parse(c.client_ip), 40000}, {*IpAddress::parse(c.server_ip), 80}, 0xfffffff0u, 7);
    EXPECT_EQ(synth.mss(), c.mss);
    std::vector<std::uint8_t> out;
    const auto ts = std::chrono::system_clock::now();
    synth.open(ts, out);
    const auto up = pattern(c.client_bytes, 1);
    const auto down = pattern(c.server_bytes, 2);
    // Two writes each way, interleaved, as a request / response exchange.
    synth.data(Side::client, std::span(up).first(up.size() / 2), ts, out);
    synth.data(Side::client, std::span(up).subspan(up.size() / 2), ts, out);
    synth.data(Side::server, std::span(down).first(down.size() / 3), ts, out);
    synth.data(Side::server, std::span(down).subspan(down.size() / 3), ts, out);
    synth.close(Side::client, c.reset, ts, out);
    const auto check = testing::check_stream(out, 40000, c.mss);
    EXPECT_EQ(check.error, "");
    EXPECT_EQ(check.client_bytes, up);
    EXPECT_EQ(check.server_bytes, down);
    EXPECT_EQ(check.rst, c.reset);
    EXPECT_EQ(check.fin_client && check.fin_server, !c.reset);
    EXPECT_EQ(synth.next_seq(Side::server), static_cast<std::uint32_t>(7 + 1 + down.size() + (c.reset ? 0 : 1)));
  }
}

TEST(TcpSynth, EmptyWriteAddsNothing) {
  TcpSynth synth({*IpAddress::parse("10.0.0.2"), 1}, {*IpAddress::parse("10.0.0.3"), 2}, 1, 2);
  std::vector<std::uint8_t> out;
  synth.data(Side::client, {}, {}, out);
  EXPECT_TRUE(out.empty());
}

TEST(TcpSynth, SegmentsAndAcksOfOneLargeWrite) {
  TcpSynth synth({*IpAddress::parse("10.0.0.2"), 1}, {*IpAddress::parse("10.0.0.3"), 2}, 1, 2);
  std::vector<std::uint8_t> out;
  synth.open({}, out);
  const auto handshake = testing::check_stream(out, 1, mss_v4).packets;
  EXPECT_EQ(handshake, 3u);
  synth.data(Side::server, pattern(mss_v4 * 40, 0), {}, out);
  // 40 full segments, an ACK after every 16 (2 of them, not after the last), and one at the end.
  EXPECT_EQ(testing::check_stream(out, 1, mss_v4).packets, 3u + 40 + 2 + 1);
}

TEST(TcpSynth, ChecksumOfKnownHeader) {
  // RFC 1071 example bytes: 0x0001 f203 f4f5 f6f7 sum to 0xddf2 -> checksum 0x220d.
  const std::uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_fold(checksum_add(0, bytes)), 0x220d);
}

}  // namespace
}  // namespace tlsgate::capture

#include "netfilter/quic_guard.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "netfilter/quic_event.hpp"
#include "tests/support/quic_packet_builder.hpp"

namespace tlsgate::netfilter {
namespace {

using namespace std::chrono_literals;
using quic_testing::ByteVec;
using quic_testing::crypto_frame;
using quic_testing::rfc_client_hello;
using quic_testing::InitialSpec;
using quic_testing::seal_initial;
using Clock = QuicGuard::Clock;

ByteVec read_data(const std::string& name) {
  std::ifstream in(std::string(TLSGATE_TEST_DATA_DIR) + "/quic/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), {}};
}

const Endpoint client{*IpAddress::parse("10.0.0.2"), 50000};
const Endpoint server{*IpAddress::parse("192.0.2.10"), 443};
const Clock::time_point t0{};

policy::Policy test_policy(const std::string& tunnel_host, const std::string& block_host) {
  return policy::Policy::parse(R"({"default": "intercept", "rules": [
      {"name": "pass", "host": [")" + tunnel_host + R"("], "action": "tunnel"},
      {"name": "deny", "host": [")" + block_host + R"("], "action": "block"}]})",
                               "test");
}

const policy::Policy tunnel_example = test_policy("example.com", "blocked.test");
const policy::Policy block_example = test_policy("other.test", "example.com");
const policy::Policy intercept_all = policy::Policy::allow_all(policy::Action::intercept);

ByteVec part(const ByteVec& hello, std::size_t from, std::size_t to) {
  return {hello.begin() + static_cast<std::ptrdiff_t>(from), hello.begin() + static_cast<std::ptrdiff_t>(to)};
}

ByteVec initial(std::uint64_t pn, const ByteVec& frames, QuicVersion version = QuicVersion::v1,
                ByteVec dcid = {1, 2, 3, 4, 5, 6, 7, 8}) {
  InitialSpec spec;
  spec.version = version;
  spec.packet_number = pn;
  spec.dcid = std::move(dcid);
  return seal_initial(spec, frames);
}

ByteVec whole_hello_initial() { return initial(0, crypto_frame(0, rfc_client_hello)); }

ByteVec short_header_packet() {
  ByteVec p(60, 0x55);
  p[0] = 0x41;  // short header, 8-byte DCID of 9s
  std::fill(p.begin() + 1, p.begin() + 9, 9);
  return p;
}

TEST(QuicGuard, TunnelledHostIsAcceptedWithItsRecord) {
  QuicGuard guard;
  const auto out = guard.feed(7, client, server, whole_hello_initial(), tunnel_example, t0);
  ASSERT_EQ(out.verdicts, (std::vector<PacketVerdict>{{7, Verdict::accept}}));
  ASSERT_EQ(out.records.size(), 1u);
  const QuicRecord& r = out.records[0];
  EXPECT_EQ(r.sni, "example.com");
  EXPECT_EQ(r.alpn, std::vector<std::string>{"alpn"});
  EXPECT_EQ(r.version, 1u);
  ASSERT_TRUE(r.decision);
  EXPECT_EQ(r.decision->rule, "pass");
  EXPECT_EQ(r.reason, "policy");
  EXPECT_EQ(r.packets_held, 1u);
  EXPECT_EQ(guard.counters().accepted, 1u);
  EXPECT_EQ(guard.counters().decided, 1u);
}

TEST(QuicGuard, InterceptAndBlockBothDrop) {
  for (const auto* p : {&intercept_all, &block_example}) {
    QuicGuard guard;
    const auto out = guard.feed(1, client, server, whole_hello_initial(), *p, t0);
    ASSERT_EQ(out.verdicts, (std::vector<PacketVerdict>{{1, Verdict::drop}}));
    ASSERT_EQ(out.records.size(), 1u);
    EXPECT_EQ(out.records[0].decision->action, p == &intercept_all ? policy::Action::intercept : policy::Action::block);
    EXPECT_EQ(guard.counters().dropped, 1u);
  }
}

TEST(QuicGuard, Version2IsDecidedToo) {
  QuicGuard guard;
  const auto out = guard.feed(1, client, server, initial(0, crypto_frame(0, rfc_client_hello), QuicVersion::v2),
                              tunnel_example, t0);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].verdict, Verdict::accept);
  EXPECT_EQ(version_name(*out.records[0].version), "2");
}

// The hello split over two packets, in both arrival orders: the first is held, then both go.
TEST(QuicGuard, SplitHelloHoldsThenReleasesBoth) {
  const std::size_t mid = 100;
  const ByteVec first = initial(0, crypto_frame(0, part(rfc_client_hello, 0, mid)));
  const ByteVec second = initial(1, crypto_frame(mid, part(rfc_client_hello, mid, rfc_client_hello.size())));
  for (const bool reversed : {false, true}) {
    SCOPED_TRACE(reversed ? "second half first" : "in order");
    QuicGuard guard;
    const auto a = guard.feed(10, client, server, reversed ? second : first, tunnel_example, t0);
    EXPECT_TRUE(a.verdicts.empty());
    EXPECT_TRUE(a.records.empty());
    EXPECT_EQ(guard.pending_connections(), 1u);
    EXPECT_TRUE(guard.expire(t0 + 999ms).verdicts.empty());  // held until hold_time
    auto b = guard.feed(11, client, server, reversed ? first : second, tunnel_example, t0 + 10ms);
    std::sort(b.verdicts.begin(), b.verdicts.end());
    EXPECT_EQ(b.verdicts, (std::vector<PacketVerdict>{{10, Verdict::accept}, {11, Verdict::accept}}));
    ASSERT_EQ(b.records.size(), 1u);
    EXPECT_EQ(b.records[0].packets_held, 2u);
    EXPECT_EQ(b.records[0].sni, "example.com");
    EXPECT_EQ(guard.counters().held, 1u);
    EXPECT_EQ(guard.pending_connections(), 0u);
  }
}

// Out-of-order CRYPTO frames inside one packet, and coalesced Initials in one datagram.
TEST(QuicGuard, OutOfOrderFramesAndCoalescedPackets) {
  ByteVec frames = crypto_frame(150, part(rfc_client_hello, 150, rfc_client_hello.size()));
  const ByteVec head = crypto_frame(0, part(rfc_client_hello, 0, 150));
  frames.insert(frames.end(), head.begin(), head.end());
  QuicGuard guard;
  auto out = guard.feed(1, client, server, initial(0, frames), block_example, t0);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].decision->rule, "deny");

  InitialSpec spec;
  spec.pad_to = 0;
  spec.packet_number = 1;
  ByteVec datagram = seal_initial(spec, crypto_frame(200, part(rfc_client_hello, 200, rfc_client_hello.size())));
  spec.packet_number = 0;
  const ByteVec other = seal_initial(spec, crypto_frame(0, part(rfc_client_hello, 0, 200)));
  datagram.insert(datagram.end(), other.begin(), other.end());
  const ByteVec tail = short_header_packet();  // a coalesced short header ends the walk
  datagram.insert(datagram.end(), tail.begin(), tail.end());
  QuicGuard guard2;
  out = guard2.feed(2, Endpoint{client.ip, 50001}, server, datagram, tunnel_example, t0);
  ASSERT_EQ(out.verdicts, (std::vector<PacketVerdict>{{2, Verdict::accept}}));
  EXPECT_EQ(out.records.at(0).sni, "example.com");
}

// The Python test client's capture (post-quantum key share, hello over three packets), reversed.
TEST(QuicGuard, PythonClientThreePacketsReversed) {
  const ByteVec file = read_data("python_client_pq_split3.bin");
  std::vector<ByteVec> datagrams;
  for (std::size_t i = 0; i + 2 <= file.size();) {
    const std::size_t n = (std::size_t{file[i]} << 8) | file[i + 1];
    datagrams.emplace_back(file.begin() + static_cast<std::ptrdiff_t>(i + 2),
                           file.begin() + static_cast<std::ptrdiff_t>(i + 2 + n));
    i += 2 + n;
  }
  ASSERT_EQ(datagrams.size(), 3u);
  std::reverse(datagrams.begin(), datagrams.end());
  const auto p = test_policy("www.example.com", "x.test");
  QuicGuard guard;
  GuardOutput last;
  for (std::uint32_t id = 0; id < 3; ++id) last = guard.feed(id, client, server, datagrams[id], p, t0);
  EXPECT_EQ(last.verdicts.size(), 3u);
  ASSERT_EQ(last.records.size(), 1u);
  EXPECT_EQ(last.records[0].sni, "www.example.com");
  EXPECT_EQ(last.records[0].alpn, std::vector<std::string>{"h3"});
  EXPECT_EQ(last.records[0].verdict, Verdict::accept);
}

TEST(QuicGuard, TruncatedInitialGetsTheDefaultAndItsFlowFollows) {
  const ByteVec packet = whole_hello_initial();
  for (const Verdict fallback : {Verdict::drop, Verdict::accept}) {
    for (const std::size_t size : {7u, 30u, 600u, 1199u}) {
      SCOPED_TRACE(size);
      GuardLimits limits;
      limits.unparseable = fallback;
      QuicGuard guard(limits);
      const ByteVec cut(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(size));
      const auto out = guard.feed(3, client, server, cut, tunnel_example, t0);
      ASSERT_EQ(out.verdicts, (std::vector<PacketVerdict>{{3, fallback}}));
      ASSERT_EQ(out.records.size(), 1u);
      EXPECT_FALSE(out.records[0].decision);
      EXPECT_EQ(out.records[0].reason, "truncated");
      EXPECT_EQ(guard.counters().unparseable, 1u);
      // Later packets of the flow follow without a new record.
      const auto next = guard.feed(4, client, server, short_header_packet(), tunnel_example, t0 + 1ms);
      EXPECT_EQ(next.verdicts, (std::vector<PacketVerdict>{{4, fallback}}));
      EXPECT_TRUE(next.records.empty());
    }
  }
}

TEST(QuicGuard, InitialThatFailsToDecryptGetsTheDefault) {
  ByteVec packet = whole_hello_initial();
  packet[600] ^= 0x01;
  QuicGuard guard;
  const auto out = guard.feed(1, client, server, packet, tunnel_example, t0);
  EXPECT_EQ(out.verdicts, (std::vector<PacketVerdict>{{1, Verdict::drop}}));
  EXPECT_EQ(out.records.at(0).reason, "decrypt_failed");
  EXPECT_EQ(out.records.at(0).version, 1u);
}

TEST(QuicGuard, UnknownVersionGetsTheDefault) {
  ByteVec packet = whole_hello_initial();
  packet[1] = 0xff, packet[2] = 0x00, packet[3] = 0x00, packet[4] = 0x1d;  // draft-29
  QuicGuard guard;
  const auto out = guard.feed(1, client, server, packet, tunnel_example, t0);
  ASSERT_EQ(out.verdicts, (std::vector<PacketVerdict>{{1, Verdict::drop}}));
  EXPECT_EQ(out.records.at(0).reason, "unsupported_version");
  EXPECT_EQ(version_name(*out.records.at(0).version), "0xff00001d");
}

TEST(QuicGuard, NonInitialPacketsOfUndecidedFlowsPass) {
  QuicGuard guard;
  InitialSpec handshake;
  handshake.type_bits = 2;  // v1 Handshake
  for (const ByteVec& p : {short_header_packet(), seal_initial(handshake, crypto_frame(0, rfc_client_hello)), ByteVec{}}) {
    const auto out = guard.feed(5, client, server, p, intercept_all, t0);
    EXPECT_EQ(out.verdicts, (std::vector<PacketVerdict>{{5, Verdict::accept}}));
    EXPECT_TRUE(out.records.empty());
  }
  EXPECT_EQ(guard.decided_connections(), 0u);
}

TEST(QuicGuard, DecidedFlowsFollowTheirDecision) {
  QuicGuard guard;
  guard.feed(1, client, server, whole_hello_initial(), block_example, t0);
  // A retransmitted Initial and a short header packet are dropped without a new record,
  // even though the policy now says tunnel.
  for (const ByteVec& p : {whole_hello_initial(), short_header_packet()}) {
    const auto out = guard.feed(2, client, server, p, tunnel_example, t0 + 1s);
    EXPECT_EQ(out.verdicts, (std::vector<PacketVerdict>{{2, Verdict::drop}}));
    EXPECT_TRUE(out.records.empty());
  }
  // A new connection (another DCID) from the same port is decided afresh.
  const auto fresh = guard.feed(3, client, server, initial(0, crypto_frame(0, rfc_client_hello), QuicVersion::v1, {9, 9, 9, 9}),
                                tunnel_example, t0 + 2s);
  EXPECT_EQ(fresh.verdicts, (std::vector<PacketVerdict>{{3, Verdict::accept}}));
  EXPECT_EQ(fresh.records.size(), 1u);
  // Unused for decided_ttl: forgotten, so a short header packet passes again.
  guard.feed(4, client, server, short_header_packet(), block_example, t0 + 3s);
  guard.expire(t0 + 3s + 60s);
  EXPECT_EQ(guard.decided_connections(), 0u);
  EXPECT_EQ(guard.feed(5, client, server, short_header_packet(), block_example, t0 + 64s).verdicts,
            (std::vector<PacketVerdict>{{5, Verdict::accept}}));
}

TEST(QuicGuard, DecidedTableEvictsTheLeastRecentlyUsed) {
  GuardLimits limits;
  limits.max_decided = 2;
  QuicGuard guard(limits);
  for (std::uint16_t port = 1; port <= 3; ++port)
    guard.feed(port, Endpoint{client.ip, port}, server, whole_hello_initial(), block_example, t0);
  EXPECT_EQ(guard.decided_connections(), 2u);
  EXPECT_EQ(guard.feed(9, Endpoint{client.ip, 1}, server, short_header_packet(), block_example, t0).verdicts.at(0).verdict,
            Verdict::accept);
  EXPECT_EQ(guard.feed(9, Endpoint{client.ip, 3}, server, short_header_packet(), block_example, t0).verdicts.at(0).verdict,
            Verdict::drop);
}

TEST(QuicGuard, HoldTimeoutReleasesWithTheDefault) {
  GuardLimits limits;
  limits.hold_time = 500ms;
  QuicGuard guard(limits);
  guard.feed(1, client, server, initial(0, crypto_frame(0, part(rfc_client_hello, 0, 50))), tunnel_example, t0);
  guard.feed(2, client, server, initial(1, crypto_frame(50, part(rfc_client_hello, 50, 60))), tunnel_example, t0 + 100ms);
  EXPECT_TRUE(guard.expire(t0 + 499ms).verdicts.empty());
  auto out = guard.expire(t0 + 500ms);
  std::sort(out.verdicts.begin(), out.verdicts.end());
  EXPECT_EQ(out.verdicts, (std::vector<PacketVerdict>{{1, Verdict::drop}, {2, Verdict::drop}}));
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].reason, "hold_timeout");
  EXPECT_EQ(out.records[0].packets_held, 2u);
  EXPECT_EQ(guard.pending_connections(), 0u);
}

TEST(QuicGuard, HoldLimitsInPacketsAndBytes) {
  for (const bool by_bytes : {false, true}) {
    SCOPED_TRACE(by_bytes ? "bytes" : "packets");
    GuardLimits limits;
    limits.hold_packets = by_bytes ? 100 : 2;
    limits.hold_bytes = by_bytes ? 2500 : 1u << 20;  // three 1200-byte datagrams pass it
    QuicGuard guard(limits);
    GuardOutput out;
    for (std::uint32_t i = 0; i < 3; ++i) {
      EXPECT_TRUE(out.verdicts.empty());
      out = guard.feed(i, client, server, initial(i, crypto_frame(i * 10, part(rfc_client_hello, i * 10, i * 10 + 10))),
                       tunnel_example, t0);
    }
    EXPECT_EQ(out.verdicts.size(), 3u);
    EXPECT_EQ(out.records.at(0).reason, "hold_limit");
    EXPECT_EQ(out.records.at(0).packets_held, 3u);
  }
}

TEST(QuicGuard, PendingTableFullGetsTheDefault) {
  GuardLimits limits;
  limits.max_pending = 1;
  QuicGuard guard(limits);
  const ByteVec partial = initial(0, crypto_frame(0, part(rfc_client_hello, 0, 50)));
  EXPECT_TRUE(guard.feed(1, client, server, partial, tunnel_example, t0).verdicts.empty());
  const auto out = guard.feed(2, Endpoint{client.ip, 1}, server, partial, tunnel_example, t0);
  EXPECT_EQ(out.verdicts, (std::vector<PacketVerdict>{{2, Verdict::drop}}));
  EXPECT_EQ(out.records.at(0).reason, "hold_table_full");
}

TEST(QuicGuard, MalformedHelloGetsTheDefaultWithTheParserReason) {
  ByteVec hello = rfc_client_hello;
  hello[0] = 0x02;  // ServerHello type
  QuicGuard guard;
  const auto out = guard.feed(1, client, server, initial(0, crypto_frame(0, hello)), tunnel_example, t0);
  EXPECT_EQ(out.verdicts, (std::vector<PacketVerdict>{{1, Verdict::drop}}));
  EXPECT_EQ(out.records.at(0).reason, "not_client_hello");
  EXPECT_EQ(guard.counters().unparseable, 1u);
}

TEST(QuicEvent, JsonLine) {
  QuicGuard guard;
  const auto out = guard.feed(1, client, server, whole_hello_initial(), tunnel_example, t0);
  const auto j = quic_json(out.records.at(0), std::chrono::system_clock::time_point{});
  EXPECT_EQ(j.dump(),
            R"({"event":"quic","ts":"1970-01-01T00:00:00.000000Z","client":{"ip":"10.0.0.2","port":50000},)"
            R"("server":{"ip":"192.0.2.10","port":443},"version":"1","sni":"example.com","alpn":["alpn"],)"
            R"("verdict":"accept","policy":{"rule":"pass","action":"tunnel"},"packets_held":1,"reason":"policy"})");
  QuicRecord bare{client, server, std::nullopt, {}, {}, Verdict::drop, {}, 1, "truncated"};
  const auto k = quic_json(bare, std::chrono::system_clock::time_point{});
  EXPECT_EQ(k["version"], "unknown");
  EXPECT_TRUE(k["sni"].is_null());
  EXPECT_TRUE(k["policy"].is_null());
}

}  // namespace
}  // namespace tlsgate::netfilter

namespace tlsgate::netfilter {
namespace {

// HTTP/3 would carry the requests past the rule: the host is intercepted on TCP instead.
TEST(QuicGuard, ATunnelledHostWithARequestRuleDrops) {
  const auto policy = policy::Policy::parse(R"({"default": "intercept", "rules": [
      {"name": "no secret", "host": "example.com", "path": "/secret/*", "action": "block"},
      {"name": "pass", "host": "example.com", "action": "tunnel"}]})",
                                            "test");
  QuicGuard guard;
  const auto out = guard.feed(3, client, server, whole_hello_initial(), policy, t0);
  ASSERT_EQ(out.verdicts, (std::vector<PacketVerdict>{{3, Verdict::drop}}));
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].decision->rule, "pass");
}

}  // namespace
}  // namespace tlsgate::netfilter

// The `quic` event of a hostile Initial: bytes that are not UTF-8 in the ALPN once made
// the event's dump() throw in the NFQUEUE thread and ended the daemon (issue 12 part 4).
#include "netfilter/quic_event.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/log/serialize_event.hpp"
#include "tests/support/quic_packet_builder.hpp"

namespace tlsgate::netfilter {
namespace {

using quic_testing::ByteVec;

const Endpoint client{*IpAddress::parse("10.0.0.2"), 50000};
const Endpoint server{*IpAddress::parse("192.0.2.10"), 443};

// The RFC 9001 ClientHello with its ALPN protocol "alpn" replaced by `protocol` (4 bytes).
ByteVec hello_with_alpn(const ByteVec& protocol) {
  ByteVec hello = quic_testing::rfc_client_hello;
  const ByteVec alpn{'a', 'l', 'p', 'n'};
  const auto at = std::search(hello.begin(), hello.end(), alpn.begin(), alpn.end());
  EXPECT_NE(at, hello.end());
  std::copy(protocol.begin(), protocol.end(), at);
  return hello;
}

QuicRecord decide(const ByteVec& hello) {
  QuicGuard guard;
  const auto packet = quic_testing::seal_initial({}, quic_testing::crypto_frame(0, hello));
  const auto policy = policy::Policy::allow_all(policy::Action::intercept);
  const auto out = guard.feed(1, client, server, packet, policy, QuicGuard::Clock::time_point{});
  EXPECT_EQ(out.records.size(), 1u);
  return out.records.at(0);
}

TEST(QuicEvent, NonUtf8AlpnIsReplacedNotThrown) {
  struct Case {
    const char* name;
    ByteVec protocol;
  };
  const Case cases[] = {
      {"invalid start bytes", {0xff, 0xfe, 0xfd, 0xfc}},
      {"truncated sequence", {'h', 0xe2, 0x82, '3'}},
      {"overlong NUL", {0xc0, 0x80, 'h', '3'}},
      {"surrogate", {0xed, 0xa0, 0x80, '!'}},
      {"control bytes", {0x00, 0x1b, '"', '\\'}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const QuicRecord record = decide(hello_with_alpn(c.protocol));
    ASSERT_EQ(record.alpn.size(), 1u);
    EXPECT_EQ(record.alpn[0], std::string(c.protocol.begin(), c.protocol.end()));
    const auto event = quic_json(record, std::chrono::system_clock::time_point{});
    std::string line;
    ASSERT_NO_THROW(line = log::serialize_event(event));
    // The daemon's line is valid JSON again, and says what it could.
    const auto parsed = nlohmann::json::parse(line);
    EXPECT_EQ(parsed["event"], "quic");
    EXPECT_EQ(parsed["reason"], "policy");
    EXPECT_EQ(parsed["alpn"].size(), 1u);
  }
}

TEST(QuicEvent, PlainDumpWouldThrowThatIsWhyTheDaemonDoesNotUseIt) {
  const auto event = quic_json(decide(hello_with_alpn({0xff, 0xfe, 0xfd, 0xfc})), {});
  EXPECT_THROW((void)event.dump(), nlohmann::json::type_error);
  const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD, written as UTF-8
  EXPECT_NE(log::serialize_event(event).find(R"("alpn":[")" + replacement + replacement + replacement + replacement),
            std::string::npos)
      << log::serialize_event(event);
}

}  // namespace
}  // namespace tlsgate::netfilter

#include "gateway/log/community_id.hpp"

#include <gtest/gtest.h>

namespace tlsgate::log {
namespace {

Endpoint ep(const char* ip, std::uint16_t port) { return {*IpAddress::parse(ip), port}; }

// Published examples of the Community ID specification (baseline outputs).
TEST(CommunityId, MatchesSpecificationExamples) {
  struct Case {
    const char* name;
    Endpoint src, dst;
    std::uint8_t proto;
    const char* expected;
  };
  const Case cases[] = {
      {"tcp_v4", ep("128.232.110.120", 34855), ep("66.35.250.204", 80), ip_proto_tcp,
       "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
      {"udp_v4", ep("192.168.1.52", 54585), ep("8.8.8.8", 53), ip_proto_udp,
       "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
      {"tcp_v6", ep("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943), ep("2607:f8b0:400c:c03::1a", 25),
       ip_proto_tcp, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(community_id(c.src, c.dst, c.proto), c.expected);
    EXPECT_EQ(community_id(c.dst, c.src, c.proto), c.expected) << "must not depend on direction";
  }
}

TEST(CommunityId, UnmapsV4MappedAddresses) {
  EXPECT_EQ(community_id(ep("::ffff:128.232.110.120", 34855), ep("66.35.250.204", 80), ip_proto_tcp),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

TEST(CommunityId, SeedAndPortsChangeTheId) {
  const auto base = community_id(ep("10.0.0.1", 1000), ep("10.0.0.2", 443), ip_proto_tcp);
  EXPECT_NE(base, community_id(ep("10.0.0.1", 1000), ep("10.0.0.2", 443), ip_proto_tcp, 1));
  EXPECT_NE(base, community_id(ep("10.0.0.1", 1001), ep("10.0.0.2", 443), ip_proto_tcp));
}

}  // namespace
}  // namespace tlsgate::log

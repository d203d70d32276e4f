#include "gateway/policy/client_ca.hpp"

#include <gtest/gtest.h>

namespace tlsgate::policy {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

class ClientCaTest : public testing::Test {
 protected:
  ClientCaTable make(ClientCaOptions options = {}) {
    return ClientCaTable(options, [this] { return now_; });
  }
  steady_clock::time_point now_ = steady_clock::time_point(1'000'000s);
};

TEST_F(ClientCaTest, Transitions) {
  auto table = make();
  const IpAddress a = ip("10.0.0.2");
  EXPECT_EQ(table.state(a), CaState::unknown);
  table.record_failing(a);
  EXPECT_EQ(table.state(a), CaState::failing);
  table.record_working(a);  // the CA was installed
  EXPECT_EQ(table.state(a), CaState::working);
  // A pinning app rejects any forged certificate: it does not undo a success.
  table.record_failing(a);
  EXPECT_EQ(table.state(a), CaState::working);
  EXPECT_EQ(table.state(ip("10.0.0.3")), CaState::unknown);
  // An IPv4 client seen through an IPv6 socket is the same client.
  EXPECT_EQ(table.state(ip("::ffff:10.0.0.2")), CaState::working);
}

TEST_F(ClientCaTest, EvidenceExpires) {
  auto table = make(ClientCaOptions{.ttl = 3600s});
  const IpAddress a = ip("10.0.0.2");
  table.record_working(a);
  now_ += 1800s;
  table.record_failing(a);
  now_ += 1799s;
  EXPECT_EQ(table.state(a), CaState::working);
  now_ += 1s;  // the success is an hour old: only the rejection is left
  EXPECT_EQ(table.state(a), CaState::failing);
  EXPECT_EQ(table.counts().failing, 1u);
  now_ += 1800s;
  EXPECT_EQ(table.state(a), CaState::unknown);
  const auto n = table.counts();
  EXPECT_EQ(n.working, 0u);
  EXPECT_EQ(n.failing, 0u);
}

TEST_F(ClientCaTest, Counts) {
  auto table = make();
  table.record_working(ip("10.0.0.1"));
  table.record_working(ip("10.0.0.2"));
  table.record_failing(ip("10.0.0.3"));
  table.record_failing(ip("10.0.0.2"));  // still working
  const auto n = table.counts();
  EXPECT_EQ(n.working, 2u);
  EXPECT_EQ(n.failing, 1u);
}

TEST_F(ClientCaTest, BoundedByForgettingTheClientSeenLeastRecently) {
  auto table = make(ClientCaOptions{.max_clients = 2});
  table.record_working(ip("10.0.0.1"));
  now_ += 1s;
  table.record_failing(ip("10.0.0.2"));
  now_ += 1s;
  table.record_failing(ip("10.0.0.1"));  // seen again: now 10.0.0.2 is the oldest
  now_ += 1s;
  table.record_failing(ip("10.0.0.3"));
  EXPECT_EQ(table.state(ip("10.0.0.1")), CaState::working);
  EXPECT_EQ(table.state(ip("10.0.0.2")), CaState::unknown);
  EXPECT_EQ(table.state(ip("10.0.0.3")), CaState::failing);
  const auto n = table.counts();
  EXPECT_EQ(n.working + n.failing, 2u);
}

TEST_F(ClientCaTest, ExpiredClientsMakeRoomBeforeLiveOnesAreForgotten) {
  auto table = make(ClientCaOptions{.ttl = 60s, .max_clients = 2});
  table.record_failing(ip("10.0.0.1"));
  now_ += 30s;
  table.record_working(ip("10.0.0.2"));
  now_ += 31s;  // 10.0.0.1 expired, 10.0.0.2 is live
  table.record_working(ip("10.0.0.3"));
  EXPECT_EQ(table.state(ip("10.0.0.2")), CaState::working);
  EXPECT_EQ(table.state(ip("10.0.0.3")), CaState::working);
  EXPECT_EQ(table.counts().working, 2u);
}

TEST_F(ClientCaTest, AnIpv6ClientIsItsPrefix) {
  auto table = make(ClientCaOptions{.client_ipv6_prefix = 64});
  table.record_working(ip("fd00:1:2:3::10"));
  EXPECT_EQ(table.state(ip("fd00:1:2:3:abcd::1")), CaState::working);  // another privacy address, same /64
  EXPECT_EQ(table.state(ip("fd00:1:2:4::10")), CaState::unknown);
}

}  // namespace
}  // namespace tlsgate::policy

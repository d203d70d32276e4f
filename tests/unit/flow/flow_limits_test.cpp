#include "gateway/flow/flow_limits.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tlsgate {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

TEST(FlowLimits, PerClientLimitRefusesOnlyThatClient) {
  FlowLimits limits(100, 2);
  EXPECT_EQ(limits.try_admit(ip("10.0.0.1")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.try_admit(ip("10.0.0.1")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.try_admit(ip("10.0.0.1")), FlowLimits::Verdict::max_flows_per_client);
  EXPECT_EQ(limits.try_admit(ip("10.0.0.2")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.active(), 3u);
  limits.release(ip("10.0.0.1"));
  EXPECT_EQ(limits.try_admit(ip("10.0.0.1")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.refused_total(), 1u);
}

// A client cycling addresses inside its /64 is one client; the next /64 is another.
TEST(FlowLimits, PerClientLimitCountsAnIpv6PrefixAsOneClient) {
  FlowLimits limits(100, 2, 64);
  EXPECT_EQ(limits.try_admit(ip("2001:db8:0:1::a")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.try_admit(ip("2001:db8:0:1::b")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.try_admit(ip("2001:db8:0:1:ffff::c")), FlowLimits::Verdict::max_flows_per_client);
  EXPECT_EQ(limits.try_admit(ip("2001:db8:0:2::a")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.tracked_clients(), 2u);
  limits.release(ip("2001:db8:0:1::a"));  // any address of the prefix frees its slot
  EXPECT_EQ(limits.try_admit(ip("2001:db8:0:1::d")), FlowLimits::Verdict::admitted);
  const auto summary = limits.take_refusals();
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["clients"][0]["client"], "2001:db8:0:1::");
  FlowLimits per_address(100, 2, 128);
  for (const char* a : {"2001:db8::1", "2001:db8::2", "2001:db8::3"})
    EXPECT_EQ(per_address.try_admit(ip(a)), FlowLimits::Verdict::admitted);
}

TEST(FlowLimits, GlobalLimitCountsEveryClient) {
  FlowLimits limits(3, 0);
  for (const char* a : {"10.0.0.1", "10.0.0.2", "2001:db8::1"})
    EXPECT_EQ(limits.try_admit(ip(a)), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.try_admit(ip("10.0.0.4")), FlowLimits::Verdict::max_flows);
  EXPECT_EQ(limits.active(), 3u);
}

TEST(FlowLimits, ZeroMeansUnlimited) {
  FlowLimits limits(0, 0);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(limits.try_admit(ip("10.0.0.1")), FlowLimits::Verdict::admitted);
  EXPECT_EQ(limits.active(), 5000u);
}

TEST(FlowLimits, ReleaseForgetsIdleClientsAndNeverUnderflows) {
  FlowLimits limits(10, 10);
  limits.try_admit(ip("10.0.0.1"));
  limits.release(ip("10.0.0.1"));
  limits.release(ip("10.0.0.1"));  // not admitted: ignored
  limits.release(ip("10.0.0.9"));
  EXPECT_EQ(limits.active(), 0u);
  EXPECT_EQ(limits.tracked_clients(), 0u);
}

TEST(FlowLimits, RefusalSummaryHasCountsPerClientAndIsTakenOnce) {
  FlowLimits limits(3, 1);
  limits.try_admit(ip("10.0.0.1"));
  limits.try_admit(ip("10.0.0.1"));  // per client
  limits.try_admit(ip("10.0.0.1"));  // per client
  limits.try_admit(ip("10.0.0.2"));
  limits.try_admit(ip("10.0.0.3"));
  limits.try_admit(ip("10.0.0.4"));  // global
  const auto body = limits.take_refusals();
  ASSERT_TRUE(body);
  EXPECT_EQ((*body)["refused"], 3);
  EXPECT_EQ((*body)["refused_max_flows"], 1);
  EXPECT_EQ((*body)["active_flows"], 3);
  ASSERT_EQ((*body)["clients"].size(), 2u);
  EXPECT_EQ((*body)["clients"][0]["client"], "10.0.0.1");
  EXPECT_EQ((*body)["clients"][0]["refused"], 2);
  EXPECT_EQ((*body)["clients"][1]["client"], "10.0.0.4");
  EXPECT_EQ((*body)["clients"][1]["refused_max_flows"], 1);
  EXPECT_FALSE(limits.take_refusals());
}

TEST(FlowLimits, AtMostOneSummaryPerInterval) {
  FlowLimits limits(1, 0);
  limits.try_admit(ip("10.0.0.1"));
  limits.try_admit(ip("10.0.0.1"));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(limits.take_refusals_if_due(t0, std::chrono::seconds(1)));
  limits.try_admit(ip("10.0.0.1"));
  EXPECT_FALSE(limits.take_refusals_if_due(t0 + std::chrono::milliseconds(500), std::chrono::seconds(1)));
  const auto later = limits.take_refusals_if_due(t0 + std::chrono::milliseconds(1001), std::chrono::seconds(1));
  ASSERT_TRUE(later);  // kept, not lost, until the next slot
  EXPECT_EQ((*later)["refused"], 1);
}

TEST(FlowLimits, ManyThreadsNeverExceedTheLimit) {
  FlowLimits limits(1000, 0);
  std::vector<std::thread> threads;
  std::atomic<int> admitted{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const auto a = IpAddress::v4({10, 0, 0, static_cast<std::uint8_t>(t)});
      for (int i = 0; i < 1000; ++i)
        if (limits.try_admit(a) == FlowLimits::Verdict::admitted) admitted.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 1000);
  EXPECT_EQ(limits.active(), 1000u);
  EXPECT_EQ(limits.refused_total(), 3000u);
}

}  // namespace
}  // namespace tlsgate

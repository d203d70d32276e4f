#include "gateway/flow/flow_watch.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace tlsgate {
namespace {

using namespace std::chrono;
using Clock = steady_clock;

FlowRecord record_started(std::uint64_t id, Clock::time_point start) {
  FlowRecord r;
  r.flow_id = id;
  r.start = start;
  r.client = {*IpAddress::parse("10.0.0.2"), static_cast<std::uint16_t>(40000 + id)};
  r.server = {*IpAddress::parse("192.0.2.1"), 443};
  return r;
}

TEST(FlowWatch, StartsInTheDecisionPhaseWithItsDeadline) {
  asio::io_context io;
  const FlowRecord record = record_started(1, Clock::now());
  const auto before = Clock::now();
  FlowWatch control(io.get_executor(), record, milliseconds(5000));
  EXPECT_EQ(control.phase, FlowPhase::decision);
  EXPECT_GE(control.phase_deadline, before + milliseconds(10000));
  EXPECT_EQ(control.record, &record);
}

TEST(FlowWatch, AShortPhaseGetsAtLeastOneSecondOfGrace) {
  EXPECT_EQ(FlowWatch::phase_grace(milliseconds(200)), seconds(1));
  EXPECT_EQ(FlowWatch::phase_grace(milliseconds(5000)), milliseconds(5000));
}

TEST(FlowWatch, EnteringAnEarlierDeadlineWakesTheWatchdog) {
  asio::io_context io;
  const FlowRecord record = record_started(1, Clock::now());
  FlowWatch control(io.get_executor(), record, milliseconds(5000));
  // The watchdog sleeps until the idle deadline, an hour away.
  control.timer.expires_after(hours(1));
  std::optional<boost::system::error_code> woke;
  control.timer.async_wait([&](boost::system::error_code ec) { woke = ec; });
  control.enter(FlowPhase::connect, milliseconds(100));
  io.poll();
  ASSERT_TRUE(woke.has_value());
  EXPECT_EQ(*woke, asio::error::operation_aborted);
  EXPECT_EQ(control.phase, FlowPhase::connect);
}

TEST(FlowWatch, EnteringALaterDeadlineLetsTheWatchdogSleep) {
  asio::io_context io;
  const FlowRecord record = record_started(1, Clock::now());
  FlowWatch control(io.get_executor(), record, milliseconds(5000));
  control.timer.expires_after(seconds(1));
  bool woke = false;
  control.timer.async_wait([&](boost::system::error_code) { woke = true; });
  control.enter(FlowPhase::upstream_handshake, hours(1));
  io.poll();
  EXPECT_FALSE(woke);
  EXPECT_EQ(control.phase, FlowPhase::upstream_handshake);
}

TEST(FlowWatch, TheRelayHasNoPhaseDeadline) {
  asio::io_context io;
  const FlowRecord record = record_started(1, Clock::now());
  FlowWatch control(io.get_executor(), record, milliseconds(5000));
  control.enter_relay();
  EXPECT_EQ(control.phase, FlowPhase::relay);
  EXPECT_EQ(control.phase_deadline, Clock::time_point::max());
}

TEST(FlowPhase, NamesReadAsInTheDocs) {
  EXPECT_EQ(to_string(FlowPhase::decision), "decision");
  EXPECT_EQ(to_string(FlowPhase::connect), "connect");
  EXPECT_EQ(to_string(FlowPhase::upstream_handshake), "upstream_handshake");
  EXPECT_EQ(to_string(FlowPhase::client_handshake), "client_handshake");
  EXPECT_EQ(to_string(FlowPhase::relay), "relay");
}

class FlowRegistrySnapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto now = Clock::now();
    // Registered in an order unrelated to age: 20 s, 5 s, 60 s, 1 s old.
    for (const auto& [id, age] : {std::pair{1, 20}, {2, 5}, {3, 60}, {4, 1}}) {
      records_.push_back(record_started(id, now - seconds(age)));
      controls_.emplace_back(io_.get_executor(), records_.back(), milliseconds(5000));
      registry_.add(&controls_.back());
    }
    controls_[0].enter_relay();
    records_[0].verdict.host = std::optional<std::string>("www.example.test");
  }
  asio::io_context io_;
  std::deque<FlowRecord> records_;  // stable addresses
  std::deque<FlowWatch> controls_;
  FlowRegistry registry_;
};

TEST_F(FlowRegistrySnapshot, ListsTheOlderFlowsOldestFirst) {
  const FlowList list = registry_.snapshot(seconds(4), 10);
  EXPECT_EQ(list.running, 4u);
  EXPECT_EQ(list.older, 3u);
  ASSERT_EQ(list.oldest.size(), 3u);
  EXPECT_EQ(list.oldest[0].flow_id, 3u);
  EXPECT_EQ(list.oldest[1].flow_id, 1u);
  EXPECT_EQ(list.oldest[2].flow_id, 2u);
  EXPECT_GE(list.oldest[0].age_s, 60.0);
  EXPECT_EQ(list.oldest[1].phase, FlowPhase::relay);
  EXPECT_EQ(list.oldest[1].host, "www.example.test");
  EXPECT_EQ(list.oldest[1].client.port, 40001);
  EXPECT_EQ(list.oldest[2].phase, FlowPhase::decision);
  EXPECT_FALSE(list.oldest[2].host.has_value());
}

TEST_F(FlowRegistrySnapshot, KeepsOnlyTheOldestWithinTheCount) {
  const FlowList list = registry_.snapshot(seconds(0), 2);
  EXPECT_EQ(list.older, 4u);
  ASSERT_EQ(list.oldest.size(), 2u);
  EXPECT_EQ(list.oldest[0].flow_id, 3u);
  EXPECT_EQ(list.oldest[1].flow_id, 1u);
}

TEST_F(FlowRegistrySnapshot, NoneOlderThanAsked) {
  const FlowList list = registry_.snapshot(hours(1), 10);
  EXPECT_EQ(list.running, 4u);
  EXPECT_EQ(list.older, 0u);
  EXPECT_TRUE(list.oldest.empty());
}

}  // namespace
}  // namespace tlsgate

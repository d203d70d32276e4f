#include "gateway/daemon/heartbeat.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace tlsgate {
namespace {

using namespace std::chrono_literals;

// Runs `control` for `d`, as the daemon's control loop would.
void run_for(asio::io_context& control, std::chrono::milliseconds d) {
  control.restart();
  control.run_for(d);
}

TEST(Heartbeat, PingsWhileEveryWorkerAnswersAndStopsWhenOneHangs) {
  asio::io_context control, live, stuck;
  auto guard_live = asio::make_work_guard(live);
  std::thread live_thread([&] { live.run(); });
  int pings = 0;

  {
    Heartbeat beat(control, {&live}, 20ms, [&] { ++pings; });
    beat.start();
    run_for(control, 200ms);
    EXPECT_TRUE(beat.healthy());
    EXPECT_GE(pings, 3);
    beat.stop();
  }

  // `stuck` is never run: its no-op never answers.
  pings = 0;
  Heartbeat beat(control, {&live, &stuck}, 20ms, [&] { ++pings; });
  beat.start();
  run_for(control, 200ms);
  EXPECT_FALSE(beat.healthy());
  EXPECT_EQ(pings, 1);  // only the start, before any round could fail

  // The worker recovers and runs again: healthy again.
  auto guard_stuck = asio::make_work_guard(stuck);
  std::thread stuck_thread([&] { stuck.run(); });
  run_for(control, 100ms);
  EXPECT_TRUE(beat.healthy());
  EXPECT_GE(pings, 2);
  beat.stop();

  guard_live.reset();
  guard_stuck.reset();
  live.stop();
  stuck.stop();
  live_thread.join();
  stuck_thread.join();
}

}  // namespace
}  // namespace tlsgate

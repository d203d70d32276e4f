#include "netfilter/error_throttle.hpp"

#include <gtest/gtest.h>

namespace tlsgate::netfilter {
namespace {

using namespace std::chrono_literals;

TEST(ErrorThrottle, OneLinePerIntervalWithTheCount) {
  ErrorThrottle throttle(10s);
  const ErrorThrottle::Clock::time_point t0{100s};
  EXPECT_EQ(throttle.record(t0), 1u);  // the first is printed at once
  EXPECT_EQ(throttle.record(t0 + 1s), 0u);
  EXPECT_EQ(throttle.record(t0 + 9s), 0u);
  EXPECT_EQ(throttle.record(t0 + 10s), 3u);  // stands for the two held back too
  EXPECT_EQ(throttle.record(t0 + 30s), 1u);
  EXPECT_EQ(throttle.total(), 5u);
}

}  // namespace
}  // namespace tlsgate::netfilter

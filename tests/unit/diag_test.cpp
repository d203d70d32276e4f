#include "gateway/diag.hpp"

#include <gtest/gtest.h>

namespace tlsgate::diag {
namespace {

TEST(DiagFormat, JournalPrefixPerLevel) {
  struct Case {
    Level level;
    const char* want;
  } cases[] = {{Level::error, "<3>tlsgate: x\n"},   {Level::warning, "<4>tlsgate: x\n"},
               {Level::notice, "<5>tlsgate: x\n"},  {Level::info, "<6>tlsgate: x\n"},
               {Level::debug, "<7>tlsgate: x\n"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(format_line(c.level, true, "x"), c.want);
  }
}

TEST(DiagFormat, NoPrefixForATerminal) { EXPECT_EQ(format_line(Level::error, false, "bad"), "tlsgate: bad\n"); }

TEST(DiagFormat, OneLinePerCall) {
  // A message from the network or an exception must not forge a second journal entry.
  EXPECT_EQ(format_line(Level::info, true, "a\nb\r\x01z\n"), "<6>tlsgate: a b  z\n");
}

TEST(DiagLevel, MaxLevelFilters) {
  set_max_level(Level::warning);
  EXPECT_TRUE(enabled(Level::error));
  EXPECT_TRUE(enabled(Level::warning));
  EXPECT_FALSE(enabled(Level::notice));
  EXPECT_FALSE(enabled(Level::debug));
  set_max_level(Level::debug);
  EXPECT_TRUE(enabled(Level::debug));
  set_max_level(Level::info);
}

TEST(DiagRateLimiter, OnePerKeyPerIntervalWithSuppressedCount) {
  RateLimiter limiter(std::chrono::seconds(10));
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  std::uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.allow("accept", &suppressed, t0));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(limiter.allow("accept", &suppressed, t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(limiter.allow("accept", &suppressed, t0 + std::chrono::seconds(9)));
  EXPECT_TRUE(limiter.allow("other", &suppressed, t0 + std::chrono::seconds(9)));  // keys are independent
  EXPECT_TRUE(limiter.allow("accept", &suppressed, t0 + std::chrono::seconds(10)));
  EXPECT_EQ(suppressed, 2u);
  EXPECT_FALSE(limiter.allow("accept", &suppressed, t0 + std::chrono::seconds(11)));
}

TEST(DiagRateLimiter, KeysAreBounded) {
  RateLimiter limiter(std::chrono::seconds(10));
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (std::size_t i = 0; i < RateLimiter::max_keys * 3; ++i)
    EXPECT_TRUE(limiter.allow("key" + std::to_string(i), nullptr, t0));
}

}  // namespace
}  // namespace tlsgate::diag

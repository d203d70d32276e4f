#pragma once
// Rate-limits an error message that traffic can repeat: at most one line per
// interval, saying how many errors it stands for. Pure (time is passed in); not
// thread-safe (one per thread).
#include <chrono>
#include <cstdint>

namespace tlsgate::netfilter {

class ErrorThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ErrorThrottle(Clock::duration interval) : interval_(interval) {}

  // Counts one error at `now`. Returns 0 when it must not be printed, else the
  // number of errors the line stands for: this one and those held back since the last line.
  std::uint64_t record(Clock::time_point now) {
    ++held_;
    ++total_;
    if (printed_once_ && now - last_ < interval_) return 0;
    printed_once_ = true;
    last_ = now;
    const std::uint64_t n = held_;
    held_ = 0;
    return n;
  }

  std::uint64_t total() const { return total_; }  // every error recorded

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  bool printed_once_ = false;
  std::uint64_t held_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace tlsgate::netfilter

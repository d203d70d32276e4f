#pragma once
// Diagnostics for the operator (not the flow log): one line per call on
// stderr, prefixed with the syslog level the way journald reads it
// (`<3>tlsgate: ...`), so `journalctl -p warning` works. Thread-safe: each
// line is one write(2) under a lock, so lines from threads never interleave.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tlsgate::diag {

// syslog(3) priorities: the number is the journal prefix.
enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// Lines less severe than `max` are not written (default: info).
void set_max_level(Level max);
bool enabled(Level level);
// With prefixes (the default when stderr is not a terminal) each line starts
// with `<N>`; a person at a terminal gets the bare text.
void set_prefixes(bool on);

// The text of one line (no trailing newline in `message` needed): the level
// prefix if asked, "tlsgate: ", the message with control characters (newlines
// included) replaced by spaces, and "\n". Pure; what write() sends.
std::string format_line(Level level, bool prefix, std::string_view message);

void write(Level level, std::string_view message);

// printf-style helpers.
void error(const char* format, ...) __attribute__((format(printf, 1, 2)));
void warning(const char* format, ...) __attribute__((format(printf, 1, 2)));
void notice(const char* format, ...) __attribute__((format(printf, 1, 2)));
void info(const char* format, ...) __attribute__((format(printf, 1, 2)));
void debug(const char* format, ...) __attribute__((format(printf, 1, 2)));

// At most one line per key per interval, for messages traffic can repeat
// (accept errors, write failures). Thread-safe; holds at most max_keys keys
// (beyond that the oldest windows are forgotten, which only lets a line through early).
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t max_keys = 1024;

  explicit RateLimiter(Clock::duration interval) : interval_(interval) {}

  // True when a line for `key` may be written at `now`; then *suppressed is
  // the number of calls for that key refused since the last one allowed.
  bool allow(std::string_view key, std::uint64_t* suppressed, Clock::time_point now = Clock::now());

  // Writes the formatted line if allowed, with " (N similar suppressed)" appended.
  void log(Level level, std::string_view key, const char* format, ...) __attribute__((format(printf, 4, 5)));

 private:
  struct Window {
    Clock::time_point last;
    std::uint64_t suppressed = 0;
  };
  Clock::duration interval_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace tlsgate::diag

#include "gateway/diag.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace tlsgate::diag {
namespace {

std::atomic<int> max_level{static_cast<int>(Level::info)};
// -1: decide from isatty(2) on first use.
std::atomic<int> prefixes{-1};
std::mutex write_mutex;

bool use_prefixes() {
  int p = prefixes.load(std::memory_order_relaxed);
  if (p < 0) {
    p = ::isatty(STDERR_FILENO) ? 0 : 1;
    prefixes.store(p, std::memory_order_relaxed);
  }
  return p == 1;
}

std::string vformat(const char* format, va_list args) {
  char small[512];
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(small, sizeof small, format, copy);
  va_end(copy);
  if (n < 0) return format;
  if (static_cast<std::size_t>(n) < sizeof small) return std::string(small, static_cast<std::size_t>(n));
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  std::vsnprintf(big.data(), big.size(), format, args);
  big.resize(static_cast<std::size_t>(n));
  return big;
}

void vwrite(Level level, const char* format, va_list args) {
  if (!enabled(level)) return;
  write(level, vformat(format, args));
}

}  // namespace

void set_max_level(Level max) { max_level.store(static_cast<int>(max), std::memory_order_relaxed); }

bool enabled(Level level) { return static_cast<int>(level) <= max_level.load(std::memory_order_relaxed); }

void set_prefixes(bool on) { prefixes.store(on ? 1 : 0, std::memory_order_relaxed); }

std::string format_line(Level level, bool prefix, std::string_view message) {
  std::string line;
  line.reserve(message.size() + 16);
  if (prefix) {
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(level));
    line += '>';
  }
  line += "tlsgate: ";
  for (const char c : message) line += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  line += '\n';
  return line;
}

void write(Level level, std::string_view message) {
  if (!enabled(level)) return;
  const std::string line = format_line(level, use_prefixes(), message);
  const int saved_errno = errno;  // callers often print strerror(errno) after us
  std::lock_guard lock(write_mutex);
  for (std::size_t off = 0; off < line.size();) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere left to complain
    off += static_cast<std::size_t>(n);
  }
  errno = saved_errno;
}

#define TLSGATE_DIAG_LEVEL(name)               \
  void name(const char* format, ...) {         \
    va_list args;                              \
    va_start(args, format);                    \
    vwrite(Level::name, format, args);         \
    va_end(args);                              \
  }
TLSGATE_DIAG_LEVEL(error)
TLSGATE_DIAG_LEVEL(warning)
TLSGATE_DIAG_LEVEL(notice)
TLSGATE_DIAG_LEVEL(info)
TLSGATE_DIAG_LEVEL(debug)
#undef TLSGATE_DIAG_LEVEL

bool RateLimiter::allow(std::string_view key, std::uint64_t* suppressed, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = windows_.find(std::string(key));
  if (it == windows_.end()) {
    if (windows_.size() >= max_keys) windows_.clear();  // bounded memory beats perfect suppression
    windows_.emplace(std::string(key), Window{now, 0});
    if (suppressed) *suppressed = 0;
    return true;
  }
  if (now - it->second.last < interval_) {
    ++it->second.suppressed;
    return false;
  }
  if (suppressed) *suppressed = it->second.suppressed;
  it->second = Window{now, 0};
  return true;
}

void RateLimiter::log(Level level, std::string_view key, const char* format, ...) {
  if (!enabled(level)) return;
  std::uint64_t suppressed = 0;
  if (!allow(key, &suppressed)) return;
  va_list args;
  va_start(args, format);
  std::string message = vformat(format, args);
  va_end(args);
  if (suppressed > 0) message += " (" + std::to_string(suppressed) + " similar suppressed)";
  write(level, message);
}

}  // namespace tlsgate::diag

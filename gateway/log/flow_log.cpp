#include "gateway/log/flow_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <stdexcept>

#include "gateway/log/serialize_event.hpp"
#include "gateway/log/eve.hpp"

namespace tlsgate::log {

FlowLog::FlowLog(std::string path, std::size_t max_queued_lines, std::size_t max_queued_bytes)
    : path_(std::move(path)), max_queued_(max_queued_lines), max_queued_bytes_(max_queued_bytes) {
  fd_ = open_file();
  if (fd_ < 0) throw std::runtime_error("flow log " + path_ + ": " + std::strerror(errno));
  writer_ = std::thread([this] { run(); });
}

FlowLog::~FlowLog() { stop(); }

int FlowLog::open_file() const {
  if (path_ == "stdout") return STDOUT_FILENO;
  return ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
}

bool FlowLog::submit(std::string line) {
  {
    std::lock_guard lock(mutex_);
    // A slow disk must not cost unbounded memory: an http line can be 100 KB.
    if (stopping_ || queue_.size() >= max_queued_ || queued_bytes_ + line.size() + 1 > max_queued_bytes_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    line.push_back('\n');
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    // The writer takes everything queued when it wakes: only the first line
    // of a batch needs to wake it (waking per line cost a context switch each).
    if (queue_.size() > 1) return true;
  }
  wake_.notify_one();
  return true;
}

bool FlowLog::submit_event(const nlohmann::ordered_json& event) noexcept {
  try {
    if (eve_.load(std::memory_order_relaxed)) return submit(serialize_event(to_eve(event)));
    return submit(serialize_event(event));
  } catch (...) {  // allocation failure: count the line as lost, keep serving
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
}

bool FlowLog::submit_serialized_event(const std::string& line) noexcept {
  try {
    // EVE needs the tree; the native format takes the line as written.
    if (eve_.load(std::memory_order_relaxed))
      return submit(serialize_event(to_eve(nlohmann::ordered_json::parse(line))));
    return submit(line);
  } catch (...) {  // allocation failure (or a bug in the writer): a lost line, never a lost flow
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
}

void FlowLog::reopen() {
  {
    std::lock_guard lock(mutex_);
    reopen_requested_ = true;
  }
  wake_.notify_one();
}

void FlowLog::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  if (fd_ > STDERR_FILENO) ::close(fd_);
  fd_ = -1;
}

// Writes a batch of whole lines with as few write() calls as possible; an
// O_APPEND write of a batch lands as one piece, so readers never see half a line
// from two writers. False (errno set) when the write failed part-way.
bool FlowLog::write_all(const std::string& chunk) {
  std::size_t off = 0;
  while (off < chunk.size()) {
    const ssize_t n = ::write(fd_, chunk.data() + off, chunk.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// A full disk fails every batch: say so once a minute, with the count.
void FlowLog::report_write_error(int error_number, std::uint64_t lines) {
  constexpr auto report_interval = std::chrono::minutes(1);
  unreported_failed_ += lines;
  const auto now = std::chrono::steady_clock::now();
  if (last_error_report_ != std::chrono::steady_clock::time_point{} && now - last_error_report_ < report_interval)
    return;
  last_error_report_ = now;
  std::fprintf(stderr, "tlsgate: flow log %s: write failed: %s; %llu lines dropped since the last report\n",
               path_.c_str(), std::strerror(error_number), static_cast<unsigned long long>(unreported_failed_));
  unreported_failed_ = 0;
}

// Lines are counted written only when the write succeeded. A batch that fails
// part-way counts whole as dropped: which lines landed is unknown (at most the
// last one is torn).
void FlowLog::write_batch(const std::deque<std::string>& batch, std::string& chunk) {
  if (batch.empty()) return;
  chunk.clear();
  for (const auto& line : batch) chunk += line;
  if (write_all(chunk)) {
    written_.fetch_add(batch.size(), std::memory_order_relaxed);
    return;
  }
  const int error_number = errno;
  dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
  report_write_error(error_number, batch.size());
}

void FlowLog::run() {
  constexpr auto batch_interval = std::chrono::milliseconds(5);
  std::deque<std::string> batch;
  std::string chunk;
  for (;;) {
    bool reopen = false;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || reopen_requested_ || !queue_.empty(); });
      batch.swap(queue_);
      queued_bytes_ = 0;
      reopen = reopen_requested_;
      reopen_requested_ = false;
      stopping = stopping_;
    }
    write_batch(batch, chunk);
    batch.clear();
    // Let lines gather: one write and one wake-up per interval under load.
    if (!stopping) std::this_thread::sleep_for(batch_interval);
    if (reopen && path_ != "stdout") {
      const int fd = open_file();
      if (fd < 0) {
        std::fprintf(stderr, "tlsgate: flow log %s: reopen failed: %s (keeping the old file)\n", path_.c_str(),
                     std::strerror(errno));
      } else {
        ::close(fd_);
        fd_ = fd;
      }
    }
    if (stopping) {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
    }
  }
}

}  // namespace tlsgate::log

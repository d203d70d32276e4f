#pragma once
// The JSON-lines sink: producers hand whole lines to a bounded queue; one
// writer thread appends them to the file (or stdout). The queue is bounded in
// lines and in bytes; a full queue drops the line and counts it, and so does a
// failed write (disk full, EIO): logging never stalls traffic.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace tlsgate::log {

class FlowLog {
 public:
  // path "stdout" writes to standard output. Throws std::runtime_error if the
  // file cannot be opened (so a bad path fails at startup, not later).
  FlowLog(std::string path, std::size_t max_queued_lines, std::size_t max_queued_bytes = default_max_queued_bytes);
  static constexpr std::size_t default_max_queued_bytes = 32u << 20;
  ~FlowLog();
  FlowLog(const FlowLog&) = delete;
  FlowLog& operator=(const FlowLog&) = delete;

  // Thread-safe, never blocks on I/O. `line` has no trailing newline.
  // Returns false if the queue was full (lines or bytes) and the line was dropped.
  bool submit(std::string line);
  // The one way events (flow, http, policy, quic, ...) reach the log: serializes
  // `event` as one line, replacing bytes that are not UTF-8 (they come from the
  // network), and never throws. Returns false when the line was dropped.
  bool submit_event(const nlohmann::ordered_json& event) noexcept;
  // The same for an event already serialized as one valid JSON line (the http
  // event writer builds its line without a tree). Never throws.
  bool submit_serialized_event(const std::string& line) noexcept;
  // flow_log_format eve: submit_event writes log::to_eve(event) instead (gateway/log/eve.hpp).
  void use_eve(bool on) { eve_.store(on, std::memory_order_relaxed); }
  // Asks the writer to reopen the file (after logrotate moved it).
  void reopen();
  // Writes everything queued, then stops the writer. Idempotent.
  void stop();

  // Lines written, and lines lost: queue full or write failed.
  std::uint64_t written() const { return written_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }
  const std::string& path() const { return path_; }

 private:
  void run();
  int open_file() const;
  bool write_all(const std::string& chunk);
  void write_batch(const std::deque<std::string>& batch, std::string& chunk);
  void report_write_error(int error_number, std::uint64_t lines);

  std::string path_;
  std::size_t max_queued_;
  std::size_t max_queued_bytes_;
  std::size_t queued_bytes_ = 0;  // under mutex_
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  bool reopen_requested_ = false;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  // Writer thread only: write errors are reported at most once a minute.
  std::chrono::steady_clock::time_point last_error_report_{};
  std::uint64_t unreported_failed_ = 0;
  std::atomic<bool> eve_{false};
  std::thread writer_;
};

}  // namespace tlsgate::log

#pragma once
// Where every captured flow's packets go: producers (flow threads) hand whole
// pcap records to a queue bounded in bytes; one writer thread appends them to
// the rotated files and to the PCAP-over-IP readers. A full queue drops the
// chunk and counts it: capture never slows a flow. Drops are reported
// (diag::warning) at most every few seconds; the counters are also exported
// on /metrics (gateway/daemon/daemon_metrics).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/capture_config.hpp"

namespace tlsgate::capture {

class PcapFiles;
class PcapOverIp;

class CaptureSink {
 public:
  // Opens the first file and binds the listener as configured; throws
  // std::runtime_error when either fails (a startup error).
  explicit CaptureSink(const CaptureConfig& config);
  ~CaptureSink();
  CaptureSink(const CaptureSink&) = delete;
  CaptureSink& operator=(const CaptureSink&) = delete;

  // Thread-safe, never blocks on I/O. Returns false when the chunk was dropped.
  bool submit(std::vector<std::uint8_t>&& records) noexcept;
  // Writes what is queued, then stops the writer. Idempotent.
  void stop();

  const CaptureConfig& config() const { return config_; }
  std::uint64_t dropped_chunks() const { return dropped_chunks_.load(std::memory_order_relaxed); }
  std::uint64_t dropped_bytes() const { return dropped_bytes_.load(std::memory_order_relaxed); }
  std::uint64_t written_bytes() const { return written_bytes_.load(std::memory_order_relaxed); }
  std::uint64_t readers_dropped() const;
  std::uint64_t readers_refused() const;    // no or a wrong token, another uid
  std::uint16_t pcap_over_ip_port() const;  // the bound TCP port (0 when off)

 private:
  void run();
  void write_batch(std::deque<std::vector<std::uint8_t>>& batch);
  void report_drops();

  CaptureConfig config_;
  std::unique_ptr<PcapFiles> files_;
  std::vector<std::unique_ptr<PcapOverIp>> over_ip_;  // the unix socket and / or the TCP listener
  int wake_fd_ = -1;  // eventfd: the writer sleeps in poll() with the readers' sockets
  std::mutex mutex_;
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_bytes_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> dropped_chunks_{0};
  std::atomic<std::uint64_t> dropped_bytes_{0};
  std::atomic<std::uint64_t> written_bytes_{0};
  std::uint64_t reported_drops_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
  std::thread writer_;
};

}  // namespace tlsgate::capture

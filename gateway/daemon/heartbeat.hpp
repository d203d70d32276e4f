#pragma once
// Proves the worker threads are alive: every interval it posts a no-op into
// each worker's io_context; a round is answered when every worker ran its
// no-op. If the previous round was answered the daemon is healthy and
// `on_alive` runs (it pings the systemd watchdog); a worker stuck in a loop or
// a blocking call stops the pings, and systemd restarts the daemon.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "gateway/asio.hpp"

namespace tlsgate {

class Heartbeat {
 public:
  // Runs on `control`; the workers' io_contexts must outlive it.
  Heartbeat(asio::io_context& control, std::vector<asio::io_context*> workers, std::chrono::milliseconds interval,
            std::function<void()> on_alive);
  void start();
  void stop();
  // Thread-safe: every worker answered the last complete round.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

 private:
  void tick();

  asio::steady_timer timer_;
  std::vector<asio::io_context*> workers_;
  std::chrono::milliseconds interval_;
  std::function<void()> on_alive_;
  std::uint64_t round_ = 0;
  // answered_[i]: the last round worker i ran; shared with posted handlers.
  std::shared_ptr<std::vector<std::atomic<std::uint64_t>>> answered_;
  std::atomic<bool> healthy_{false};
};

}  // namespace tlsgate

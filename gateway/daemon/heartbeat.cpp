#include "gateway/daemon/heartbeat.hpp"

#include <boost/asio/post.hpp>

namespace tlsgate {

Heartbeat::Heartbeat(asio::io_context& control, std::vector<asio::io_context*> workers,
                     std::chrono::milliseconds interval, std::function<void()> on_alive)
    : timer_(control),
      workers_(std::move(workers)),
      interval_(interval),
      on_alive_(std::move(on_alive)),
      answered_(std::make_shared<std::vector<std::atomic<std::uint64_t>>>(workers_.size())) {}

void Heartbeat::start() {
  // Round 0 counts as answered: the workers were just started.
  healthy_.store(true, std::memory_order_relaxed);
  if (on_alive_) on_alive_();
  tick();
}

void Heartbeat::stop() { timer_.cancel(); }

void Heartbeat::tick() {
  bool all = true;
  for (const auto& a : *answered_) all = all && a.load(std::memory_order_acquire) == round_;
  healthy_.store(all, std::memory_order_relaxed);
  if (all) {
    if (on_alive_ && round_ > 0) on_alive_();
    ++round_;
    for (std::size_t i = 0; i < workers_.size(); ++i)
      asio::post(*workers_[i], [answered = answered_, i, round = round_] {
        (*answered)[i].store(round, std::memory_order_release);
      });
  }
  // A round not yet answered stays open: a slow worker that catches up
  // makes the daemon healthy again at the next tick.
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

}  // namespace tlsgate

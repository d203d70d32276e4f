#include "gateway/daemon/control_plane.hpp"

#include <cstdio>
#include <string>

#include "gateway/daemon/control_socket.hpp"
#include "gateway/daemon/bypass_control.hpp"

namespace tlsgate {
namespace {

// A change is saved within a tick, but the file is written at most once per
// save_interval (a burst of lessons is one write); sweeps find expired entries.
constexpr auto tick = std::chrono::milliseconds(250);
constexpr auto save_interval = std::chrono::seconds(5);
constexpr auto sweep_interval = std::chrono::seconds(5);

// Saves; a failure is printed once per distinct message (not every interval).
void save(policy::LearnedBypass& bypass, std::string& last_error) {
  try {
    bypass.save_if_dirty();
    last_error.clear();
  } catch (const std::exception& e) {
    if (last_error != e.what()) std::fprintf(stderr, "tlsgate: learned bypass: %s\n", e.what());
    last_error = e.what();
  }
}

awaitable<void> bypass_upkeep(policy::LearnedBypass& bypass) {
  using Clock = std::chrono::steady_clock;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::string last_error;
  auto last_save = Clock::now() - save_interval;
  auto last_sweep = Clock::now();
  for (;;) {
    timer.expires_after(tick);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
    const auto now = Clock::now();
    if (now - last_sweep >= sweep_interval) {
      bypass.sweep();
      last_sweep = now;
    }
    if (now - last_save >= save_interval && bypass.dirty()) {
      save(bypass, last_error);
      last_save = now;
    }
  }
}

}  // namespace

ControlPlane::ControlPlane(asio::io_context& control, SharedState& shared) : shared_(shared) {
  policy::LearnedBypass* bypass = shared.bypass.get();
  if (bypass) asio::co_spawn(control, bypass_upkeep(*bypass), asio::detached);
  if (!shared.config.control_socket) return;
  try {
    socket_ = std::make_unique<ControlSocket>(
        control, *shared.config.control_socket,
        [bypass](std::string_view line) { return handle_control_line(bypass, line); });
    std::fprintf(stderr, "tlsgate: control socket %s\n", socket_->path().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlsgate: control socket: %s; `tlsgate bypass` cannot reach this daemon\n", e.what());
  }
}

ControlPlane::~ControlPlane() {
  socket_.reset();
  if (!shared_.bypass) return;
  std::string last_error;
  save(*shared_.bypass, last_error);
}

std::unique_ptr<ControlPlane> start_control_plane(asio::io_context& control, SharedState& shared) {
  return std::make_unique<ControlPlane>(control, shared);
}

}  // namespace tlsgate

#include "gateway/daemon/control_plane.hpp"

#include <cstdio>
#include <string>

#include "gateway/daemon/control_socket.hpp"
#include "gateway/policy/bypass_control.hpp"

namespace tlsgate {
namespace {

// How often the table is swept and, if it changed, saved: a crash loses at most this.
constexpr auto upkeep_interval = std::chrono::seconds(5);

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
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::string last_error;
  for (;;) {
    timer.expires_after(upkeep_interval);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
    bypass.sweep();
    save(bypass, last_error);
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
        [bypass](std::string_view line) { return policy::handle_control_line(bypass, line); });
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

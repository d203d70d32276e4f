#include "gateway/daemon/control_plane.hpp"

#include <cstdio>
#include <iterator>
#include <string>

#include "gateway/daemon/ask_workers.hpp"
#include "gateway/daemon/control_socket.hpp"
#include "gateway/daemon/bypass_control.hpp"
#include "gateway/daemon/flow_listing.hpp"
#include "gateway/daemon/policy_reloader.hpp"

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

awaitable<std::string> list_flows(std::vector<FlowSource> workers, FlowsRequest request) {
  FlowsGathered gathered;
  gathered.workers = workers.size();
  const auto ask = [request](FlowRegistry& flows) { return flows.snapshot(request.older_than, request.limit); };
  const auto take = [&gathered](FlowList list) {
    gathered.running += list.running;
    gathered.older += list.older;
    std::move(list.oldest.begin(), list.oldest.end(), std::back_inserter(gathered.flows));
  };
  awaitable<std::size_t> asking = ask_every_worker(workers, ask, take);  // named: see STYLE.md, GCC 12
  gathered.answered = co_await std::move(asking);
  co_return flows_reply(std::move(gathered), request.limit);
}

std::string error_reply(const std::string& why) {
  return nlohmann::json{{"ok", false}, {"error", why}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `policy reload`: {"ok":true,"rules":N,"closed_flows":M,"workers":W,"answered":A} or the reason it failed.
awaitable<std::string> reload_policy(PolicyReloader* reloader) {
  if (!reloader) co_return error_reply("the daemon runs without a policy_file: there is no policy to reload");
  awaitable<ReloadResult> reloading = reloader->reload_now();  // named: see STYLE.md, GCC 12
  const ReloadResult result = co_await std::move(reloading);
  if (!result.error.empty()) co_return error_reply("policy not reloaded, the previous one stays: " + result.error);
  co_return nlohmann::json{{"ok", true},
                           {"rules", result.rules},
                           {"closed_flows", result.reach.closed},
                           {"workers", result.reach.workers},
                           {"answered", result.reach.answered}}
      .dump();
}

// One control request: `flows` and `policy reload` here, the bypass commands in policy/bypass_control.
awaitable<std::string> answer(std::string line, std::vector<FlowSource> workers, policy::LearnedBypass* bypass,
                              PolicyReloader* reloader) {
  const nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
  if (request.is_object() && request.value("command", nlohmann::json()) == "policy reload") {
    awaitable<std::string> reloading = reload_policy(reloader);  // named: see STYLE.md, GCC 12
    std::string reply = co_await std::move(reloading);
    co_return reply;
  }
  if (request.is_object() && request.value("command", nlohmann::json()) == "flows") {
    std::string error;
    const auto flows = parse_flows_request(request, error);
    if (!flows) co_return error_reply(error);
    awaitable<std::string> listing = list_flows(std::move(workers), *flows);  // named: see STYLE.md, GCC 12
    std::string reply = co_await std::move(listing);
    co_return reply;
  }
  co_return handle_control_line(bypass, line);
}

}  // namespace

ControlPlane::ControlPlane(asio::io_context& control, SharedState& shared, std::vector<FlowSource> workers,
                           PolicyReloader* reloader)
    : shared_(shared) {
  policy::LearnedBypass* bypass = shared.bypass.get();
  if (bypass) asio::co_spawn(control, bypass_upkeep(*bypass), asio::detached);
  if (!shared.config.control_socket) return;
  try {
    socket_ = std::make_unique<ControlSocket>(
        control, *shared.config.control_socket,
        [workers = std::move(workers), bypass, reloader](std::string line) {
          return answer(std::move(line), workers, bypass, reloader);
        });
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

std::unique_ptr<ControlPlane> start_control_plane(asio::io_context& control, SharedState& shared,
                                                  std::vector<FlowSource> workers, PolicyReloader* reloader) {
  return std::make_unique<ControlPlane>(control, shared, std::move(workers), reloader);
}

}  // namespace tlsgate

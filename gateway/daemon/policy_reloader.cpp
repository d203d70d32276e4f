#include "gateway/daemon/policy_reloader.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "gateway/daemon/policy_needs.hpp"
#include "gateway/daemon/reload_flows.hpp"
#include "gateway/daemon/scan_services_probe.hpp"
#include "gateway/diag.hpp"
#include "gateway/flow/reload_decision.hpp"
#include "gateway/log/events/policy_event.hpp"

namespace tlsgate {
namespace {

// Editors write a file in several steps; reload once they are done.
constexpr auto settle_time = std::chrono::milliseconds(100);

// The running flows meet the new policy, then the reload is reported with how many it closed.
awaitable<ReloadReach> reach_running_flows(SharedState& shared, std::vector<FlowSource> workers,
                                           std::shared_ptr<const policy::Policy> policy, std::string path,
                                           std::chrono::system_clock::time_point ts) {
  const std::size_t rules = policy->rule_count();
  awaitable<ReloadReach> reaching =  // named: see STYLE.md, GCC 12
      refuse_running_flows(std::move(workers), std::move(policy), decision_settings(shared.config), shared.metrics);
  const ReloadReach reach = co_await std::move(reaching);
  std::string unanswered;
  if (reach.answered < reach.workers)
    unanswered = " (" + std::to_string(reach.workers - reach.answered) + " workers did not answer in time)";
  diag::notice("policy reloaded from %s: %zu rules; %zu running flows refused and closed%s", path.c_str(), rules,
               reach.closed, unanswered.c_str());
  shared.log.submit_event(log::policy_reload_json(path, rules, std::nullopt, reach.closed, ts));
  co_return reach;
}

}  // namespace

PolicyReloader::PolicyReloader(asio::io_context& io, SharedState& shared, std::vector<FlowSource> workers)
    : shared_(shared), workers_(std::move(workers)), path_(*shared.config.policy_file), io_(io) {
  const std::filesystem::path p(path_);
  directory_ = p.has_parent_path() ? p.parent_path().string() : ".";
  name_ = p.filename().string();
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0 ||
      ::inotify_add_watch(inotify_fd_, directory_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    diag::warning("cannot watch %s for policy changes (%s); SIGHUP still reloads", directory_.c_str(),
                  std::strerror(errno));
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    inotify_fd_ = -1;
    return;
  }
  asio::co_spawn(io_, watch(), asio::detached);
}

PolicyReloader::~PolicyReloader() = default;  // the stream descriptor in watch() owns the fd

std::shared_ptr<const policy::Policy> PolicyReloader::install(std::chrono::system_clock::time_point ts,
                                                              std::string& error) {
  std::shared_ptr<const policy::Policy> fresh;
  try {
    fresh = std::make_shared<const policy::Policy>(policy::Policy::load_file(path_));
    check_policy_needs(*fresh, shared_.config, path_);
  } catch (const std::exception& e) {
    error = e.what();
    shared_.metrics.policy_reload(false);
    diag::error("policy not reloaded, keeping the previous one: %s", e.what());
    shared_.log.submit_event(log::policy_reload_json(path_, std::nullopt, error, 0, ts));
    return nullptr;
  }
  shared_.policy.store(fresh);
  shared_.metrics.policy_reload(true);
  probe_scan_services(io_, *fresh, shared_.config);
  return fresh;
}

void PolicyReloader::reload() {
  const auto ts = std::chrono::system_clock::now();
  std::string error;
  auto fresh = install(ts, error);
  if (fresh) asio::co_spawn(io_, reach_running_flows(shared_, workers_, std::move(fresh), path_, ts), asio::detached);
}

awaitable<ReloadResult> PolicyReloader::reload_now() {
  const auto ts = std::chrono::system_clock::now();
  ReloadResult result;
  auto fresh = install(ts, result.error);
  if (!fresh) co_return result;
  result.rules = fresh->rule_count();
  awaitable<ReloadReach> reaching =  // named: see STYLE.md, GCC 12
      reach_running_flows(shared_, workers_, std::move(fresh), path_, ts);
  result.reach = co_await std::move(reaching);
  co_return result;
}

awaitable<void> PolicyReloader::watch() {
  asio::posix::stream_descriptor inotify(io_, inotify_fd_);
  asio::steady_timer settle(io_);
  std::array<char, 4096> buffer;
  for (;;) {
    const auto [ec, n] = co_await inotify.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) co_return;
    bool ours = false;
    for (std::size_t offset = 0; offset + sizeof(inotify_event) <= n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
      if (event->len > 0 && name_ == event->name) ours = true;
      offset += sizeof(inotify_event) + event->len;
    }
    if (!ours) continue;
    // Coalesce the burst of events one save produces into one reload.
    settle.expires_after(settle_time);
    co_await settle.async_wait(use_tuple);
    for (;;) {
      const ssize_t more = ::read(inotify_fd_, buffer.data(), buffer.size());
      if (more <= 0) break;
    }
    reload();
  }
}

}  // namespace tlsgate

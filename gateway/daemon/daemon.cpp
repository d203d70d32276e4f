#include "gateway/daemon/daemon.hpp"

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/daemon/control_plane.hpp"
#include "gateway/daemon/daemon_metrics.hpp"
#include "gateway/daemon/fd_limit.hpp"
#include "gateway/daemon/heartbeat.hpp"
#include "gateway/daemon/local_addresses.hpp"
#include "gateway/daemon/neighbours.hpp"
#include "gateway/daemon/notify.hpp"
#include "gateway/daemon/policy_reloader.hpp"
#include "gateway/daemon/privileges.hpp"
#include "gateway/daemon/quic_guard_host.hpp"
#include "gateway/daemon/scan_services_probe.hpp"
#include "gateway/daemon/startup.hpp"
#include "gateway/daemon/worker.hpp"
#include "gateway/diag.hpp"
#include "gateway/flow/forbidden_destinations.hpp"
#include "gateway/metrics/server.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/portal/server.hpp"
#include "netfilter/quic_service.hpp"

namespace tlsgate {
namespace {

constexpr auto address_refresh_interval = std::chrono::seconds(5);
constexpr auto drain_poll_interval = std::chrono::milliseconds(50);
constexpr auto terminate_wait = std::chrono::seconds(5);
// How often the heartbeat probes the workers (also /health's freshness).
constexpr auto max_heartbeat_interval = std::chrono::milliseconds(1000);

using Workers = std::vector<std::unique_ptr<Worker>>;

// What runs once startup succeeded; members stop in reverse order.
struct Services {
  std::unique_ptr<capture::CaptureSink> capture;  // decrypted pcap: outlives the flows
  Workers workers;
  std::unique_ptr<QuicGuardHost> quic_host;  // outlives the guard that calls it
  std::unique_ptr<netfilter::QuicGuardService> quic_guard;
  std::unique_ptr<metrics::Server> metrics;
  std::unique_ptr<portal::Server> portal;  // CA onboarding page
};

std::size_t active_flows(const Workers& workers) {
  std::size_t n = 0;
  for (const auto& w : workers) n += w->active_flows();
  return n;
}

// Waits (polling, bounded) until no flow is left or the deadline passes.
void wait_for_flows(const Workers& workers, std::chrono::steady_clock::time_point deadline) {
  while (active_flows(workers) > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(drain_poll_interval);
}

void describe(const Config& config, unsigned workers, const std::string& log_path) {
  for (const auto& l : config.listeners)
    diag::info("listening on [%s]:%u (%s)", l.address.to_string().c_str(), l.port,
               l.mode == RedirectMode::redirect ? "redirect" : "tproxy");
  diag::info("%u worker threads; flow log: %s", workers, log_path.c_str());
  if (config.metrics_listen)
    diag::info("metrics on http://[%s]:%u/metrics", config.metrics_listen->ip.to_string().c_str(),
               config.metrics_listen->port);
  if (config.portal_listen)
    diag::info("CA onboarding page on http://[%s]:%u/", config.portal_listen->ip.to_string().c_str(),
               config.portal_listen->port);
}

awaitable<void> refresh_addresses(SharedState& shared) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    shared.own_addresses.store(std::make_shared<const std::vector<IpAddress>>(local_addresses()));
    timer.expires_after(address_refresh_interval);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
  }
}

diag::Level level_of(const std::string& name) {
  if (name == "error") return diag::Level::error;
  if (name == "warning") return diag::Level::warning;
  if (name == "notice") return diag::Level::notice;
  if (name == "debug") return diag::Level::debug;
  return diag::Level::info;
}

PrivilegePlan privilege_plan(const Config& config) {
  PrivilegePlan plan;
  plan.user = config.user;
  // The QUIC guard's NFQUEUE verdicts need CAP_NET_ADMIN: its relay process keeps it, not this one.
  // SO_MARK on each new upstream socket needs it here: upstream_mark keeps it.
  plan.keep_net_admin = config.upstream_mark != 0;
  if (!config.ca_cert) plan.hand_over.push_back(config.state_dir);
  if (config.flow_log != "stdout") plan.hand_over.push_back(config.flow_log);
  if (config.keylog_file) plan.hand_over.push_back(*config.keylog_file);
  if (config.pcap.enabled) plan.hand_over.push_back(config.pcap.directory);
  return plan;
}

// Everything that may need privileges, opened before they are dropped. Throws.
void open_services(SharedState& shared, Services& s) {
  const Config& config = shared.config;
  shared.forbidden_destinations = parse_forbidden_destinations(config.forbidden_destinations);
  shared.block_page.store(std::make_shared<const BlockPageTemplate>(load_block_page(config)));
  prepare_interception(shared);
  if (config.pcap.active()) {
    try {
      s.capture = std::make_unique<capture::CaptureSink>(config.pcap);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("pcap: ") + e.what());
    }
    shared.capture = s.capture.get();
  }
  const unsigned count = config.worker_threads();
  for (unsigned i = 0; i < count; ++i) {
    s.workers.push_back(std::make_unique<Worker>(shared));
    s.workers.back()->open_listeners();
  }
  if (config.quic_guard.enabled) {
    try {
      s.quic_host = std::make_unique<QuicGuardHost>(shared);
      s.quic_guard = std::make_unique<netfilter::QuicGuardService>(config.quic_guard, config.user, *s.quic_host);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("quic_guard: ") + e.what());
    }
    diag::info("QUIC guard on NFQUEUE %u", static_cast<unsigned>(config.quic_guard.queue));
  }
  if (config.metrics_listen)
    s.metrics = std::make_unique<metrics::Server>(
        *config.metrics_listen, config.metrics_max_connections, [&shared] { return shared.metrics.render_text(); },
        [] { return true; });  // replaced in run_control() once the heartbeat exists
  if (config.portal_listen)
    s.portal = std::make_unique<portal::Server>(*config.portal_listen,
                                                portal::make_ca_files(shared.tls->ca().certificate()));
}

// SIGHUP: RELOADING=1, reopen the log, reload the policy, READY=1.
// The operator's block page, read again: one that cannot be read keeps the previous one.
void reload_block_page(SharedState& shared) {
  if (!shared.config.block_page_file) return;
  try {
    shared.block_page.store(std::make_shared<const BlockPageTemplate>(load_block_page(shared.config)));
  } catch (const ConfigError& e) {
    diag::error("block page not reloaded, keeping the previous one: %s", e.what());
  }
}

void reload(SharedState& shared, PolicyReloader* policy_reloader) {
  notify::reloading();
  shared.log.reopen();
  diag::info("SIGHUP: reopening the flow log");
  reload_block_page(shared);
  if (policy_reloader) policy_reloader->reload();
  notify::ready();
}

std::vector<asio::io_context*> worker_contexts(const Workers& workers) {
  std::vector<asio::io_context*> out;
  for (const auto& w : workers) out.push_back(&w->io());
  return out;
}

// Stop accepting, let flows finish within the grace period, then cut the rest.
void drain(const Config& config, Services& s) {
  diag::notice("stopping: %zu flows active, grace %llds", active_flows(s.workers),
               static_cast<long long>(config.shutdown_grace.count()));
  for (auto& w : s.workers) w->stop_accepting();
  wait_for_flows(s.workers, std::chrono::steady_clock::now() + config.shutdown_grace);
  for (auto& w : s.workers) w->terminate_flows();
  wait_for_flows(s.workers, std::chrono::steady_clock::now() + terminate_wait);
  for (auto& w : s.workers) {
    w->stop();
    w->join();
  }
  if (s.quic_guard) s.quic_guard->stop();
  if (s.capture) {
    s.capture->stop();
    diag::notice("capture: %llu bytes written, %llu chunks dropped, %llu PCAP-over-IP readers dropped",
                 static_cast<unsigned long long>(s.capture->written_bytes()),
                 static_cast<unsigned long long>(s.capture->dropped_chunks()),
                 static_cast<unsigned long long>(s.capture->readers_dropped()));
  }
}

// Runs the control loop (signals, policy reload, address refresh, heartbeat)
// until SIGTERM/SIGINT.
void run_control(SharedState& shared, Services& s) {
  asio::io_context control;
  std::vector<FlowSource> flow_sources;
  for (const auto& w : s.workers) flow_sources.push_back(FlowSource{&w->io(), &w->flows()});
  std::unique_ptr<PolicyReloader> policy_reloader;
  if (shared.config.policy_file) policy_reloader = std::make_unique<PolicyReloader>(control, shared, flow_sources);
  const auto watchdog = notify::watchdog_interval();
  auto interval = max_heartbeat_interval;
  if (watchdog) interval = std::min(interval, std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog));
  Heartbeat heartbeat(control, worker_contexts(s.workers), interval, watchdog ? notify::watchdog : std::function<void()>{});
  register_daemon_metrics(shared, s.workers, [&heartbeat] { return heartbeat.healthy(); });
  if (s.metrics) s.metrics->set_healthy([&heartbeat] { return heartbeat.healthy(); });

  asio::signal_set signals(control, SIGTERM, SIGINT, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                              int sig) {
    if (ec) return;
    if (sig != SIGHUP) return control.stop();
    reload(shared, policy_reloader.get());
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  asio::co_spawn(control, refresh_addresses(shared), asio::detached);
  asio::co_spawn(control, refresh_neighbours(shared), asio::detached);
  // Bypass upkeep, the control socket.
  const auto control_plane = start_control_plane(control, shared, std::move(flow_sources), policy_reloader.get());

  for (auto& w : s.workers) w->start();
  if (const auto policy = shared.policy.load()) probe_scan_services(control, *policy, shared.config);
  if (s.quic_guard) s.quic_guard->start();
  if (s.metrics) s.metrics->start();
  if (s.portal) s.portal->start();
  notify::ready();
  heartbeat.start();
  diag::notice("ready: %zu workers%s", s.workers.size(), watchdog ? ", systemd watchdog on" : "");
  control.run();
  notify::stopping();
  // The scraper must not read the workers while they go away.
  if (s.metrics) s.metrics->stop();
  if (s.portal) s.portal->stop();
  drain(shared.config, s);
  // control_plane goes before `control`: it saves the bypass table the workers last changed.
}


}  // namespace

int run_daemon(const Config& configured) {
  // Before any thread: every thread inherits no_new_privs.
  harden_process();
  diag::set_max_level(level_of(configured.log_level));
  // OpenSSL writes to sockets with write(2): a peer that already left must
  // give EPIPE for that flow, not kill the gateway.
  std::signal(SIGPIPE, SIG_IGN);
  diag::notice("%s", raise_file_limit().c_str());
  // A full gateway refuses at max_flows, before any accept or socket fails with EMFILE.
  Config config = configured;
  const FlowBudget budget =
      fit_max_flows(config.max_flows, file_limit(), descriptor_reserve(config, config.worker_threads()));
  config.max_flows = budget.max_flows;
  if (budget.lowered) diag::warning("%s", budget.note.c_str());
  else diag::info("%s", budget.note.c_str());
  std::unique_ptr<log::FlowLog> flow_log;
  try {
    flow_log = std::make_unique<log::FlowLog>(config.flow_log, config.log_queue_lines, config.log_queue_bytes);
  } catch (const std::exception& e) {
    diag::error("%s", e.what());
    return 1;
  }
  flow_log->use_eve(config.flow_log_format == FlowLogFormat::eve);
  SharedState shared(config, *flow_log);
  shared.own_addresses.store(std::make_shared<const std::vector<IpAddress>>(local_addresses()));
  Services services;
  try {
    open_services(shared, services);
    drop_privileges(privilege_plan(config));
  } catch (const std::exception& e) {
    diag::error("%s", e.what());
    return 1;
  }
  describe(config, static_cast<unsigned>(services.workers.size()), flow_log->path());

  run_control(shared, services);
  flow_log->stop();
  diag::notice("stopped; %llu flow lines written, %llu dropped", static_cast<unsigned long long>(flow_log->written()),
               static_cast<unsigned long long>(flow_log->dropped()));
  return 0;
}

}  // namespace tlsgate

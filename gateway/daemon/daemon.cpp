#include "gateway/daemon/daemon.hpp"

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/flow/original_dst.hpp"
#include "gateway/daemon/policy_reloader.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/daemon/startup.hpp"
#include "gateway/daemon/worker.hpp"
#include "netfilter/quic_service.hpp"

namespace tlsgate {
namespace {

constexpr auto address_refresh_interval = std::chrono::seconds(5);
constexpr auto drain_poll_interval = std::chrono::milliseconds(50);
constexpr auto terminate_wait = std::chrono::seconds(5);

std::size_t active_flows(const std::vector<std::unique_ptr<Worker>>& workers) {
  std::size_t n = 0;
  for (const auto& w : workers) n += w->active_flows();
  return n;
}

// Waits (polling, bounded) until no flow is left or the deadline passes.
void wait_for_flows(const std::vector<std::unique_ptr<Worker>>& workers,
                    std::chrono::steady_clock::time_point deadline) {
  while (active_flows(workers) > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(drain_poll_interval);
}

void describe(const Config& config, unsigned workers, const std::string& log_path) {
  for (const auto& l : config.listeners)
    std::fprintf(stderr, "tlsgate: listening on [%s]:%u (%s)\n", l.address.to_string().c_str(), l.port,
                 l.mode == RedirectMode::redirect ? "redirect" : "tproxy");
  std::fprintf(stderr, "tlsgate: %u worker threads; flow log: %s\n", workers, log_path.c_str());
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

}  // namespace

int run_daemon(const Config& config) {
  // OpenSSL writes to sockets with write(2): a peer that already left must
  // give EPIPE for that flow, not kill the gateway.
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<log::FlowLog> flow_log;
  try {
    flow_log = std::make_unique<log::FlowLog>(config.flow_log, config.log_queue_lines);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlsgate: %s\n", e.what());
    return 1;
  }
  flow_log->use_eve(config.flow_log_format == FlowLogFormat::eve);
  SharedState shared(config, *flow_log);
  std::unique_ptr<capture::CaptureSink> capture;  // decrypted pcap (gateway/capture)
  try {
    if (config.pcap.active()) capture = std::make_unique<capture::CaptureSink>(config.pcap);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlsgate: pcap: %s\n", e.what());
    return 1;
  }
  shared.capture = capture.get();
  shared.own_addresses.store(std::make_shared<const std::vector<IpAddress>>(local_addresses()));
  try {
    prepare_interception(shared);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlsgate: %s\n", e.what());
    return 1;
  }

  const unsigned count = config.workers ? config.workers : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Worker>> workers;
  try {
    for (unsigned i = 0; i < count; ++i) {
      workers.push_back(std::make_unique<Worker>(shared));
      workers.back()->open_listeners();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlsgate: %s\n", e.what());
    return 1;
  }
  std::unique_ptr<netfilter::QuicGuardService> quic_guard;
  if (config.quic_guard.enabled) {
    try {
      quic_guard = std::make_unique<netfilter::QuicGuardService>(shared);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tlsgate: quic_guard: %s\n", e.what());
      return 1;
    }
    std::fprintf(stderr, "tlsgate: QUIC guard on NFQUEUE %u\n", static_cast<unsigned>(config.quic_guard.queue));
  }
  describe(config, count, flow_log->path());

  asio::io_context control;
  std::unique_ptr<PolicyReloader> policy_reloader;
  if (config.policy_file) policy_reloader = std::make_unique<PolicyReloader>(control, shared);
  asio::signal_set signals(control, SIGTERM, SIGINT, SIGHUP);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          flow_log->reopen();
          std::fprintf(stderr, "tlsgate: SIGHUP: reopening the flow log\n");
          if (policy_reloader) policy_reloader->reload();
        } else {
          stopping = true;
          control.stop();
          return;
        }
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  asio::co_spawn(control, refresh_addresses(shared), asio::detached);

  for (auto& w : workers) w->start();
  if (quic_guard) quic_guard->start();
  control.run();

  // Drain: stop accepting, let flows finish within the grace period, then cut.
  std::fprintf(stderr, "tlsgate: stopping: %zu flows active, grace %llds\n", active_flows(workers),
               static_cast<long long>(config.shutdown_grace.count()));
  for (auto& w : workers) w->stop_accepting();
  wait_for_flows(workers, std::chrono::steady_clock::now() + config.shutdown_grace);
  for (auto& w : workers) w->terminate_flows();
  wait_for_flows(workers, std::chrono::steady_clock::now() + terminate_wait);
  for (auto& w : workers) {
    w->stop();
    w->join();
  }
  if (quic_guard) quic_guard->stop();
  if (capture) {
    capture->stop();
    std::fprintf(stderr, "tlsgate: capture: %llu bytes written, %llu chunks dropped, %llu PCAP-over-IP readers dropped\n",
                 static_cast<unsigned long long>(capture->written_bytes()),
                 static_cast<unsigned long long>(capture->dropped_chunks()),
                 static_cast<unsigned long long>(capture->readers_dropped()));
  }
  flow_log->stop();
  std::fprintf(stderr, "tlsgate: stopped; %llu flow lines written, %llu dropped\n",
               static_cast<unsigned long long>(flow_log->written()),
               static_cast<unsigned long long>(flow_log->dropped()));
  (void)stopping;
  return 0;
}

}  // namespace tlsgate

#include "gateway/daemon/daemon_metrics.hpp"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <chrono>
#include <ctime>

#include "gateway/capture/capture_sink.hpp"
#include "gateway/daemon/version.hpp"
#include "gateway/metrics/server.hpp"
#include "gateway/daemon/worker.hpp"

namespace tlsgate {
namespace {

using metrics::Sample;

std::vector<Sample> one(double v) { return {Sample{"", {}, v}}; }

// The certificate's notAfter as Unix seconds (0 if unreadable).
double not_after_unix(X509* cert) {
  std::tm tm{};
  if (!cert || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<double>(timegm(&tm));
}

}  // namespace

void register_daemon_metrics(SharedState& shared, const std::vector<std::unique_ptr<Worker>>& workers,
                             std::function<bool()> healthy) {
  auto& m = shared.metrics;
  const auto started = std::chrono::steady_clock::now();
  // Versions tell an attacker which bugs to try: only a loopback scraper sees them.
  const bool show_versions = !shared.config.metrics_listen || metrics::is_loopback(shared.config.metrics_listen->ip);
  m.add_gauge("tlsgate_build_info", "Always 1; the labels say what is running (loopback metrics_listen only)",
              [show_versions] {
                if (!show_versions) return std::vector<Sample>{Sample{"", {}, 1}};
                return std::vector<Sample>{Sample{
                    "", {{"version", version}, {"openssl", OpenSSL_version(OPENSSL_VERSION)}, {"boost", boost_version()}}, 1}};
              });
  m.add_gauge("tlsgate_uptime_seconds", "Seconds since the daemon started", [started] {
    return one(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  });
  m.add_gauge("tlsgate_healthy", "1 while every worker answers the heartbeat, else 0",
              [healthy] { return one(healthy() ? 1 : 0); });
  m.add_gauge("tlsgate_active_flows", "Flows in progress", [&workers] {
    double n = 0;
    for (const auto& w : workers) n += static_cast<double>(w->active_flows());
    return one(n);
  });
  m.add_gauge("tlsgate_worker_active_flows", "Flows in progress, by worker thread", [&workers] {
    std::vector<Sample> out;
    for (std::size_t i = 0; i < workers.size(); ++i)
      out.push_back(Sample{"", {{"worker", std::to_string(i)}}, static_cast<double>(workers[i]->active_flows())});
    return out;
  });
  log::FlowLog& log = shared.log;
  m.add_counter_source("tlsgate_log_lines_written_total", "Lines written to the flow log",
                       [&log] { return one(static_cast<double>(log.written())); });
  m.add_counter_source("tlsgate_log_lines_dropped_total", "Lines dropped because the flow log queue was full",
                       [&log] { return one(static_cast<double>(log.dropped())); });
  if (shared.capture) {
    using capture::CaptureSink;
    struct Counter {
      const char* name;
      const char* help;
      std::uint64_t (CaptureSink::*read)() const;
    };
    static constexpr Counter counters[] = {
        {"tlsgate_capture_bytes_written_total",
         "Bytes of pcap records written to the capture files and PCAP-over-IP readers", &CaptureSink::written_bytes},
        {"tlsgate_capture_chunks_dropped_total", "Chunks of pcap records dropped because the capture queue was full",
         &CaptureSink::dropped_chunks},
        {"tlsgate_capture_bytes_dropped_total", "Bytes of pcap records dropped because the capture queue was full",
         &CaptureSink::dropped_bytes},
        {"tlsgate_capture_readers_dropped_total",
         "PCAP-over-IP readers disconnected by the gateway (fell behind, or too many)", &CaptureSink::readers_dropped},
        {"tlsgate_capture_readers_refused_total",
         "PCAP-over-IP readers refused: no or a wrong token (TCP), another uid (unix socket)", &CaptureSink::readers_refused},
    };
    const CaptureSink& capture = *shared.capture;
    for (const Counter& c : counters)
      m.add_counter_source(c.name, c.help,
                           [&capture, read = c.read] { return one(static_cast<double>((capture.*read)())); });
  }
  if (shared.bypass) {
    const policy::LearnedBypass& bypass = *shared.bypass;
    m.add_gauge("tlsgate_learned_bypass_entries", "Live learned-bypass entries (clients that rejected our certificate)",
                [&bypass] { return one(static_cast<double>(bypass.size())); });
    m.add_counter_source("tlsgate_learned_bypass_learned_total",
                         "Learned-bypass entries learned or renewed, by the evidence that completed them and scope",
                         [&bypass] {
                           using policy::Evidence;
                           std::vector<Sample> out;
                           for (const Evidence e : {Evidence::strong, Evidence::weak})
                             for (const bool all : {false, true})
                               out.push_back(Sample{"",
                                                    {{"evidence", e == Evidence::strong ? "strong" : "weak"},
                                                     {"scope", all ? "all_clients" : "client"}},
                                                    static_cast<double>(bypass.learned_total(e, all))});
                           return out;
                         });
  }
  policy::ClientCaTable& client_ca = shared.client_ca;
  m.add_gauge("tlsgate_clients_ca",
              "Clients seen in the last 24 h by whether the gateway CA works for them (working: an intercepted "
              "exchange succeeded; failing: they rejected the forged certificate and nothing succeeded)",
              [&client_ca] {
                const auto n = client_ca.counts();
                return std::vector<Sample>{Sample{"", {{"state", "working"}}, static_cast<double>(n.working)},
                                           Sample{"", {{"state", "failing"}}, static_cast<double>(n.failing)}};
              });
  const FlowLimits& limits = shared.limits;
  m.add_counter_source("tlsgate_flows_refused_total", "Connections refused (reset) at max_flows or max_flows_per_client",
                       [&limits] { return one(static_cast<double>(limits.refused_total())); });
  if (shared.tls) {
    const double ca_not_after = not_after_unix(shared.tls->ca().certificate());
    m.add_gauge("tlsgate_ca_not_after_timestamp_seconds", "When the gateway CA certificate expires (Unix time)",
                [ca_not_after] { return one(ca_not_after); });
  }
  m.add_gauge("tlsgate_policy_rules", "Rules in the policy in force", [&shared] {
    const auto policy = shared.policy.load();
    return one(policy ? static_cast<double>(policy->rule_count()) : 0);
  });
}

}  // namespace tlsgate

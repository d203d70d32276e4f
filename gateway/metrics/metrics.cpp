#include "gateway/metrics/metrics.hpp"

#include <mutex>

namespace tlsgate::metrics {
namespace {

struct HandshakeFailure {
  std::string_view reason, side, kind;
};
// Flow reasons that are a failed TLS handshake, by side (docs/flow-log.md).
constexpr HandshakeFailure handshake_failures[] = {
    {"client_handshake_failed", "client", "handshake_failed"},
    {"client_rejected_certificate", "client", "rejected_certificate"},
    {"upstream_handshake_failed", "upstream", "handshake_failed"},
    {"upstream_cert_invalid", "upstream", "cert_invalid"},
};

std::string_view or_unknown(std::string_view s) { return s.empty() ? "unknown" : s; }

Family family(std::string name, std::string help, std::string type, std::vector<Sample> samples = {}) {
  return Family{std::move(name), std::move(help), std::move(type), std::move(samples)};
}

Sample value(double v) { return Sample{"", {}, v}; }

}  // namespace

void CounterFamily::add(const std::vector<std::string_view>& values, std::uint64_t n) {
  {
    std::shared_lock lock(mutex_);
    const auto it = series_.find(values);
    if (it != series_.end()) {
      it->second->fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  std::vector<std::string> key(values.begin(), values.end());
  std::unique_lock lock(mutex_);
  if (series_.size() >= max_series && !series_.count(key)) key.assign(names_.size(), "other");
  auto& slot = series_[key];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  slot->fetch_add(n, std::memory_order_relaxed);
}

std::vector<Sample> CounterFamily::samples() const {
  std::shared_lock lock(mutex_);
  std::vector<Sample> out;
  for (const auto& [values, counter] : series_) {
    Sample s;
    for (std::size_t i = 0; i < names_.size() && i < values.size(); ++i) s.labels.emplace_back(names_[i], values[i]);
    s.value = static_cast<double>(counter->load(std::memory_order_relaxed));
    out.push_back(std::move(s));
  }
  return out;
}

// Series an alert or a dashboard expects to exist from the start read 0, not "no data".
Metrics::Metrics() {
  for (const auto& h : handshake_failures) handshake_failures_.add({h.side, h.kind}, 0);
  policy_reloads_.add({"ok"}, 0);
  policy_reloads_.add({"error"}, 0);
}

void Metrics::flow_ended(const FlowSummary& flow) noexcept {
  try {
    const auto action = or_unknown(flow.action);
    const auto reason = or_unknown(flow.reason);
    flows_.add({action, reason});
    flows_by_proto_.add({or_unknown(flow.proto), action});
    if (flow.from_client) bytes_.add({"from_client", action}, flow.from_client);
    if (flow.to_client) bytes_.add({"to_client", action}, flow.to_client);
    for (const auto& h : handshake_failures)
      if (h.reason == reason) handshake_failures_.add({h.side, h.kind});
    if (flow.forged_cache_hit) (*flow.forged_cache_hit ? forged_hits_ : forged_misses_).fetch_add(1, std::memory_order_relaxed);
    if (flow.upstream_resumed) upstream_resumed_.fetch_add(1, std::memory_order_relaxed);
    if (!flow.inspect_error.empty()) inspection_stopped_.add({inspection_stop_kind(flow.inspect_error)});
  } catch (...) {  // allocation failure: a lost count, never a lost flow
  }
}

std::string_view inspection_stop_kind(std::string_view e) {
  const auto has = [e](std::string_view text) { return e.find(text) != std::string_view::npos; };
  if (has("max_header_fields")) return "header_fields";
  if (has("without a response")) return "pipelined";
  if (has("open streams")) return "h2_streams";
  if (has("max_header_bytes") || has("header bytes")) return "header_bytes";
  return "parse_error";
}

void Metrics::policy_reload(bool ok) noexcept {
  try {
    policy_reloads_.add({ok ? "ok" : "error"});
  } catch (...) {
  }
}

void Metrics::quic_verdict(bool accept) noexcept {
  try {
    quic_verdicts_.add({accept ? "accept" : "drop"});
  } catch (...) {
  }
}

void Metrics::scan(std::string_view method, std::string_view result, bool delivered) noexcept {
  try {
    scans_.add({method, result, delivered ? "yes" : "no"});
  } catch (...) {
  }
}

void Metrics::add_gauge(std::string name, std::string help, GaugeSource source) {
  sources_.push_back(Source{std::move(name), std::move(help), "gauge", std::move(source)});
}

void Metrics::add_counter_source(std::string name, std::string help, GaugeSource source) {
  sources_.push_back(Source{std::move(name), std::move(help), "counter", std::move(source)});
}

std::vector<Family> Metrics::collect() const {
  auto load = [](const std::atomic<std::uint64_t>& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); };
  std::vector<Family> out;
  out.push_back(family("tlsgate_flows_total", "Flows ended, by action and reason (the flow line's fields)", "counter",
                       flows_.samples()));
  out.push_back(family("tlsgate_flows_by_proto_total", "Flows ended, by protocol and action", "counter",
                       flows_by_proto_.samples()));
  out.push_back(family("tlsgate_flow_bytes_total", "Bytes relayed by flows that ended, by direction and action",
                       "counter", bytes_.samples()));
  out.push_back(family("tlsgate_handshake_failures_total", "Failed TLS handshakes, by side (client, upstream) and kind",
                       "counter", handshake_failures_.samples()));
  out.push_back(family("tlsgate_forged_cert_cache_hits_total", "Forged leaf certificates taken from the cache",
                       "counter", {value(load(forged_hits_))}));
  out.push_back(family("tlsgate_forged_cert_cache_misses_total", "Forged leaf certificates that had to be signed",
                       "counter", {value(load(forged_misses_))}));
  out.push_back(family("tlsgate_upstream_resumptions_total", "Upstream TLS handshakes that resumed a cached session",
                       "counter", {value(load(upstream_resumed_))}));
  out.push_back(family("tlsgate_policy_reloads_total", "Policy reloads (SIGHUP or file change), by result", "counter",
                       policy_reloads_.samples()));
  out.push_back(family("tlsgate_policy_reload_closed_flows_total",
                       "Running flows closed because a reloaded policy refused them", "counter",
                       {value(load(reload_closed_flows_))}));
  out.push_back(family("tlsgate_quic_verdicts_total", "QUIC guard packet verdicts, by verdict", "counter",
                       quic_verdicts_.samples()));
  out.push_back(family("tlsgate_http_inspection_stopped_total",
                       "Flows whose HTTP inspection stopped at a limit or a parse error while traffic went on, by why",
                       "counter", inspection_stopped_.samples()));
  out.push_back(family("tlsgate_onboard_redirects_total",
                       "Plain-HTTP requests sent to the CA onboarding portal (302), never forwarded", "counter",
                       {value(load(onboard_redirects_))}));
  out.push_back(family("tlsgate_scans_total",
                       "Bodies through content scanning (ICAP): responses (respmod) and uploads (reqmod), by result "
                       "and whether they went on",
                       "counter", scans_.samples()));
  for (const auto& s : sources_) out.push_back(family(s.name, s.help, s.type, s.read()));
  return out;
}

}  // namespace tlsgate::metrics

#pragma once
// The daemon's counters for Prometheus (docs/metrics.md). Writers are the data
// path and must stay cheap: fixed counters are relaxed atomics; labelled
// families (flows by action and reason...) take a shared lock to find their
// series and a relaxed increment. Values owned elsewhere (active flows per
// worker, log lines, learned-bypass entries) are read at scrape time through
// gauge callbacks registered before the workers start.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/metrics/exposition.hpp"

namespace tlsgate::metrics {

// What the end of one flow contributes (filled from the flow record by the
// flow code; strings as they read in the flow line).
struct FlowSummary {
  std::string_view action;  // tunnel, intercept, block, reject
  std::string_view reason;  // the flow line's `reason`
  std::string_view proto;   // tls, http, tcp, ...
  std::uint64_t from_client = 0;  // bytes
  std::uint64_t to_client = 0;
  std::optional<bool> forged_cache_hit;  // set when a forged leaf was needed
  bool upstream_resumed = false;         // the upstream TLS session was resumed
  std::string_view inspect_error;        // the flow line's `inspect_error`; empty when none
};

// Why HTTP inspection of a flow stopped, as a bounded label: header_fields (more than
// http_max_header_fields), pipelined (too many requests without a response), h2_streams
// (too many open streams), header_bytes (a head past http_max_header_bytes), parse_error.
std::string_view inspection_stop_kind(std::string_view inspect_error);

// A labelled counter family with bounded cardinality: beyond max_series label
// sets, increments go to one series whose label values are all "other".
class CounterFamily {
  // Compares label-value lists of std::string and std::string_view alike, so
  // the data path looks series up without allocating.
  struct ValuesLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return std::string_view(x) < std::string_view(y);
      });
    }
  };

 public:
  static constexpr std::size_t max_series = 500;
  explicit CounterFamily(std::vector<std::string> label_names) : names_(std::move(label_names)) {}
  void add(const std::vector<std::string_view>& values, std::uint64_t n = 1);
  std::vector<Sample> samples() const;

 private:
  std::vector<std::string> names_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<std::atomic<std::uint64_t>>, ValuesLess> series_;
};

class Metrics {
 public:
  Metrics();

  // Thread-safe, never throws: called once at the end of every flow.
  void flow_ended(const FlowSummary& flow) noexcept;
  void policy_reload(bool ok) noexcept;
  // Running flows a reloaded policy refused and closed (their lines say `policy_reload`).
  void reload_closed_flows(std::uint64_t n) noexcept { reload_closed_flows_.fetch_add(n, std::memory_order_relaxed); }
  // One QUIC verdict issued by the guard: accept or drop.
  void quic_verdict(bool accept) noexcept;
  // One plain-HTTP request answered with a redirect to the CA onboarding portal.
  void onboard_redirect() noexcept { onboard_redirects_.fetch_add(1, std::memory_order_relaxed); }
  // One body through content scanning: `method` respmod (a response) or reqmod (a request's
  // body); result clean, infected, error or skipped; `delivered`: whether it went on to the
  // client (respmod) or the server (reqmod) (error: the rule's on_error).
  void scan(std::string_view method, std::string_view result, bool delivered) noexcept;

  // Read at every scrape (thread-safe callers only); register before serving.
  using GaugeSource = std::function<std::vector<Sample>()>;
  void add_gauge(std::string name, std::string help, GaugeSource source);
  void add_counter_source(std::string name, std::string help, GaugeSource source);

  // Everything, in a stable order.
  std::vector<Family> collect() const;
  std::string render_text() const { return render(collect()); }

 private:
  struct Source {
    std::string name, help, type;
    GaugeSource read;
  };
  CounterFamily flows_{{"action", "reason"}};
  CounterFamily flows_by_proto_{{"proto", "action"}};
  CounterFamily bytes_{{"direction", "action"}};
  CounterFamily handshake_failures_{{"side", "kind"}};
  CounterFamily policy_reloads_{{"result"}};
  CounterFamily quic_verdicts_{{"verdict"}};
  CounterFamily inspection_stopped_{{"why"}};
  CounterFamily scans_{{"method", "result", "delivered"}};
  std::atomic<std::uint64_t> forged_hits_{0};
  std::atomic<std::uint64_t> forged_misses_{0};
  std::atomic<std::uint64_t> upstream_resumed_{0};
  std::atomic<std::uint64_t> reload_closed_flows_{0};
  std::atomic<std::uint64_t> onboard_redirects_{0};
  std::vector<Source> sources_;
};

}  // namespace tlsgate::metrics

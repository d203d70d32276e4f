#pragma once
// Connects an HTTP observer to a relay: feeds it the forwarded bytes, writes
// one `"event":"http"` line per finished exchange, and at the end adds the
// flow line's `http` summary (and `inspect_error` when observing failed).
// While the policy has `"mode": "log"` rules, each exchange's request is
// decided again (decide_request) to mark the ones such a rule would have blocked.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/flow/header_rule_notes.hpp"
#include "gateway/flow/request_decision.hpp"
#include "gateway/log/events/http_event.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/snapshot.hpp"
#include "gateway/http/observer.hpp"
#include "gateway/flow/relay/relay_tap.hpp"

namespace tlsgate {

struct SharedState;

class HttpTap final : public RelayTap {
 public:
  HttpTap(SharedState& shared, FlowRecord& record, std::unique_ptr<http::Observer> observer, RequestPath path);

  // The observer for an intercepted TLS flow (by the negotiated ALPN), or for
  // a plain HTTP port; nullptr when HTTP inspection is off.
  static std::unique_ptr<HttpTap> for_tls(SharedState& shared, FlowRecord& record, const std::string& alpn);
  static std::unique_ptr<HttpTap> for_cleartext(SharedState& shared, FlowRecord& record);

  void from_client(std::span<const std::uint8_t> bytes) override;
  void from_server(std::span<const std::uint8_t> bytes) override;
  // The connection ended: flushes open exchanges and fills the flow line's summary.
  void finish();
  // The content scan of a response: its exchange's `http` line gets it as `scan`. HTTP/1
  // (`stream_id` 0): the next response's, in response order; h2: that stream's.
  // Bounded: once the observer stopped (or lags past max_pending_scans), they are dropped.
  void add_scan(log::HttpEventScan scan, std::uint32_t stream_id = 0);
  // The content scan of the next HTTP/1 request forwarded (REQMOD), in request order; nullopt for
  // a request without a body (its line gets no `request_scan`). Bounded as add_scan.
  void add_request_scan(std::optional<log::HttpEventScan> scan);
  // Where the header rules applied to each request are noted (the flow's request policy, which
  // outlives the relay); each exchange's line lists its request's.
  void show_header_rules(HeaderRuleNotes* notes) { header_rules_ = notes; }

 private:
  void log_exchanges();
  // The log-mode rule that would have blocked this request; nullopt when none would.
  std::optional<std::string> would_block(const http::HttpExchange& exchange);

  SharedState& shared_;
  FlowRecord& record_;
  std::unique_ptr<http::Observer> observer_;
  RequestPath path_;
  SnapshotView<policy::Policy> policy_;  // the policy in force at each exchange
  HeaderRuleNotes* header_rules_ = nullptr;
  std::string community_id_;
  std::string client_ip_;
  std::string server_ip_;
  std::deque<log::HttpEventScan> scans_;  // reported, their exchanges not yet logged
  std::deque<std::optional<log::HttpEventScan>> request_scans_;  // the same, for requests
  std::unordered_map<std::uint32_t, log::HttpEventScan> stream_scans_;  // the same, h2, by stream
};

}  // namespace tlsgate

#include "gateway/flow/http_tap.hpp"

#include "gateway/flow/http_limits.hpp"
#include "gateway/log/community_id.hpp"
#include "gateway/log/events/fields.hpp"
#include "gateway/log/events/http_event.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/policy/time_window.hpp"

#include <ctime>

namespace tlsgate {
namespace {

constexpr std::size_t max_pending_scans = 256;  // per direction: as many as the observer's pipelined exchanges

}  // namespace

HttpTap::HttpTap(SharedState& shared, FlowRecord& record, std::unique_ptr<http::Observer> observer,
                 RequestPath path)
    : shared_(shared),
      record_(record),
      observer_(std::move(observer)),
      path_(path),
      policy_(shared.policy),
      community_id_(log::community_id(record.client, record.server, log::ip_proto_tcp)),
      client_ip_(record.client.ip.to_string()),
      server_ip_(record.server.ip.to_string()) {}

std::unique_ptr<HttpTap> HttpTap::for_tls(SharedState& shared, FlowRecord& record, const std::string& alpn) {
  if (!shared.config.http_inspect) return nullptr;
  const auto limits = http_limits(shared.config);
  auto observer = alpn == "h2" ? http::make_h2_observer(limits, "https") : http::make_http1_observer(limits, "https");
  return std::make_unique<HttpTap>(shared, record, std::move(observer), RequestPath::intercepted_tls);
}

std::unique_ptr<HttpTap> HttpTap::for_cleartext(SharedState& shared, FlowRecord& record) {
  if (!shared.config.http_inspect) return nullptr;
  return std::make_unique<HttpTap>(shared, record, http::make_cleartext_observer(http_limits(shared.config)),
                                   RequestPath::http_port);
}

void HttpTap::from_client(std::span<const std::uint8_t> bytes) {
  if (observer_->failed()) return;
  observer_->on_client_bytes(bytes, http::Clock::now());
  log_exchanges();
}

void HttpTap::from_server(std::span<const std::uint8_t> bytes) {
  if (observer_->failed()) return;
  observer_->on_server_bytes(bytes, http::Clock::now());
  log_exchanges();
}

// Each line is written straight into one reused buffer (log::write_http_event: the
// same bytes as the JSON tree it replaced), then handed to the log as a string. The
// buffer is the thread's, not the flow's: an idle flow holds no line.
void HttpTap::log_exchanges() {
  thread_local std::string line;
  for (auto& exchange : observer_->take_exchanges()) {
    const std::string ts = log::rfc3339_utc(std::chrono::system_clock::now());
    const std::string* sni = record_.hello && record_.hello->sni ? &*record_.hello->sni : nullptr;
    // Each line stands alone: an hour-long h2 connection's flow line comes only at its end.
    const log::HttpEventFlow flow{ts,         record_.flow_id,        community_id_,
                                  client_ip_, record_.client.port,    server_ip_,
                                  record_.server.port, sni};
    const std::optional<std::string> would = would_block(exchange);
    std::optional<log::HttpEventScan> scan;
    std::optional<log::HttpEventScan> request_scan;
    if (exchange.http_version == "2") {
      if (const auto it = stream_scans_.find(exchange.stream_id); it != stream_scans_.end()) {
        scan = std::move(it->second);
        stream_scans_.erase(it);
      }
    } else {
      if (!scans_.empty()) {
        scan = std::move(scans_.front());
        scans_.pop_front();
      }
      if (!request_scans_.empty()) {
        request_scan = std::move(request_scans_.front());
        request_scans_.pop_front();
      }
    }
    log::HttpEventAction action;  // allow: the gate let it through
    action.would_block = would ? &*would : nullptr;
    action.scan = scan ? &*scan : nullptr;
    action.request_scan = request_scan ? &*request_scan : nullptr;
    const std::vector<std::string> rules = header_rules_ ? header_rules_->take(exchange) : std::vector<std::string>{};
    action.header_rules = rules;
    try {
      log::write_http_event(line, flow, exchange, action);
    } catch (const std::bad_alloc&) {  // like submit_event: a lost line, never a lost flow
      continue;
    }
    shared_.log.submit_serialized_event(line);
  }
}

// The request was forwarded: decided again with the policy in force now, as
// the request gate would (its MAC looked up only for groups by MAC).
std::optional<std::string> HttpTap::would_block(const http::HttpExchange& exchange) {
  const auto& policy = policy_.current();
  if (!policy || !policy->has_log_rules() || exchange.authority.empty()) return std::nullopt;
  policy::Query addresses;
  addresses.client = record_.client.ip;
  addresses.server = record_.server.ip;
  addresses.port = record_.server.port;
  addresses.local_time = policy::local_minute_of_week(std::time(nullptr));
  if (policy->uses_macs())
    if (const auto table = shared_.neighbours.load()) addresses.client_mac = table->find(record_.client.ip);
  const RequestVerdict v = decide_request(*policy, addresses, path_, record_.verdict.rule, exchange.authority);
  if (v.outcome != RequestOutcome::allow || !v.rule) return std::nullopt;
  return v.rule->would_block;
}

void HttpTap::add_scan(log::HttpEventScan scan, std::uint32_t stream_id) {
  if (observer_->failed()) return;
  if (stream_id == 0) {
    if (scans_.size() < max_pending_scans) scans_.push_back(std::move(scan));
  } else if (stream_scans_.size() < 2 * max_pending_scans || stream_scans_.contains(stream_id)) {
    stream_scans_[stream_id] = std::move(scan);  // h2: as many as its open streams
  }
}

void HttpTap::add_request_scan(std::optional<log::HttpEventScan> scan) {
  if (observer_->failed() || request_scans_.size() >= max_pending_scans) return;
  request_scans_.push_back(std::move(scan));
}

void HttpTap::finish() {
  if (!observer_->failed()) observer_->on_close(http::Clock::now());
  log_exchanges();
  HttpSummary summary;
  summary.exchanges = observer_->exchange_count();
  summary.websocket = observer_->websocket();
  if (summary.websocket) summary.websocket_bytes = observer_->websocket_bytes();
  record_.http = summary;
  if (observer_->failed()) record_.inspect_error = observer_->failure();
}

}  // namespace tlsgate

#include "gateway/flow/http_tap.hpp"

#include "gateway/log/community_id.hpp"
#include "gateway/log/events/fields.hpp"
#include "gateway/log/events/http_event.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {
namespace {

http::HttpLimits limits_of(const Config& config) {
  http::HttpLimits limits;
  limits.max_header_bytes = config.http_max_header_bytes;
  limits.max_header_fields = config.http_max_header_fields;
  limits.max_exchange_header_bytes = config.http_max_exchange_header_bytes;
  limits.body_capture_bytes = config.http_body_capture_bytes;
  limits.redact = config.http_redact;
  return limits;
}

}  // namespace

HttpTap::HttpTap(SharedState& shared, FlowRecord& record, std::unique_ptr<http::Observer> observer)
    : shared_(shared),
      record_(record),
      observer_(std::move(observer)),
      community_id_(log::community_id(record.client, record.server, log::ip_proto_tcp)),
      client_ip_(record.client.ip.to_string()),
      server_ip_(record.server.ip.to_string()) {}

std::unique_ptr<HttpTap> HttpTap::for_tls(SharedState& shared, FlowRecord& record, const std::string& alpn) {
  if (!shared.config.http_inspect) return nullptr;
  const auto limits = limits_of(shared.config);
  auto observer = alpn == "h2" ? http::make_h2_observer(limits, "https") : http::make_http1_observer(limits, "https");
  return std::make_unique<HttpTap>(shared, record, std::move(observer));
}

std::unique_ptr<HttpTap> HttpTap::for_cleartext(SharedState& shared, FlowRecord& record) {
  if (!shared.config.http_inspect) return nullptr;
  return std::make_unique<HttpTap>(shared, record, http::make_cleartext_observer(limits_of(shared.config)));
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
    log::HttpEventAction action;
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

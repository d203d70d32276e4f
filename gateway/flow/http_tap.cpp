#include "gateway/flow/http_tap.hpp"

#include "gateway/log/community_id.hpp"
#include "gateway/shared_state.hpp"

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

void HttpTap::log_exchanges() {
  for (auto& exchange : observer_->take_exchanges()) {
    nlohmann::ordered_json line;
    line["event"] = "http";
    line["ts"] = rfc3339_utc(std::chrono::system_clock::now());
    line["flow_id"] = record_.flow_id;
    line["community_id"] = community_id_;
    // Each line stands alone: an hour-long h2 connection's flow line comes only at its end.
    line["client"] = {{"ip", client_ip_}, {"port", record_.client.port}};
    line["server"] = {{"ip", server_ip_}, {"port", record_.server.port}};
    line["sni"] = record_.extra.contains("sni") ? record_.extra["sni"] : nlohmann::ordered_json(nullptr);
    http::append_json(line, std::move(exchange));
    shared_.log.submit_event(line);
  }
}

void HttpTap::finish() {
  if (!observer_->failed()) observer_->on_close(http::Clock::now());
  log_exchanges();
  nlohmann::ordered_json summary;
  summary["exchanges"] = observer_->exchange_count();
  if (observer_->websocket()) {
    summary["websocket"] = true;
    summary["websocket_bytes"] = observer_->websocket_bytes();
  }
  record_.extra["http"] = std::move(summary);
  if (observer_->failed()) record_.extra["inspect_error"] = observer_->failure();
}

}  // namespace tlsgate

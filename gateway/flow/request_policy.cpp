#include "gateway/flow/request_policy.hpp"

#include "gateway/flow/block_page.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/log/community_id.hpp"
#include "gateway/log/events/fields.hpp"
#include "gateway/log/events/http_event.hpp"

namespace tlsgate {
namespace {

policy::Query addresses_of(const FlowRecord& record) {
  policy::Query q;
  q.client = record.client.ip;
  q.server = record.server.ip;
  q.port = record.server.port;
  return q;
}

http::GateSettings gate_settings(const Config& config, RequestPath path) {
  http::GateSettings settings;
  settings.limits.max_header_bytes = config.http_max_header_bytes;
  settings.limits.max_header_fields = config.http_max_header_fields;
  settings.scheme = path == RequestPath::http_port ? "http" : "https";
  settings.relay_unparsed_on_error = false;  // gates exist only where a host rule could matter
  settings.first_request_opens_upstream = path == RequestPath::http_port;
  return settings;
}

}  // namespace

RequestPolicy::RequestPolicy(SharedState& shared, FlowRecord& record, RequestPath path)
    : shared_(shared), record_(record), path_(path), policy_(shared.policy) {}

bool RequestPolicy::needed(SharedState& shared, const FlowRecord& record) {
  const auto policy = shared.policy.load();
  return policy && policy->host_can_matter(addresses_of(record));
}

std::unique_ptr<http::RequestGate> RequestPolicy::make_gate(const std::optional<std::string>& alpn) {
  auto decide = [this](const http::RequestHead& head) { return this->decide(head); };
  const http::GateSettings settings = gate_settings(shared_.config, path_);
  std::unique_ptr<http::RequestGate> gate;
  if (path_ == RequestPath::http_port) gate = http::make_cleartext_request_gate(settings, std::move(decide));
  else if (alpn == "h2") gate = http::make_h2_request_gate(settings, std::move(decide));
  else gate = http::make_http1_request_gate(settings, std::move(decide));
  gate_ = gate.get();
  return gate;
}

http::RequestAnswer RequestPolicy::decide(const http::RequestHead& head) {
  const std::shared_ptr<const policy::Policy>& policy = policy_.current();
  // A keep-alive connection names one host again and again: a request with the authority of the
  // last allowed one, under the same policy, is allowed again (everything else decide_request
  // reads is the flow's and fixed).
  if (head.authority && allowed_policy_ && allowed_policy_ == policy && *head.authority == allowed_authority_) {
    return {};
  }
  const RequestVerdict v = decide_request(*policy, addresses_of(record_), path_, record_.verdict.rule, head.authority);
  if (v.outcome == RequestOutcome::allow) {
    if (head.authority) {
      allowed_policy_ = policy;
      allowed_authority_ = *head.authority;
    }
    return {};
  }
  const std::string host = v.host.value_or(head.authority.value_or(""));
  switch (v.outcome) {
    case RequestOutcome::allow: return {};
    case RequestOutcome::misdirected:
      log_answer(head, 421, v.reason, v.rule);
      return http::RequestAnswer{http::RequestAction::misdirected, misdirected_page(host), {}};
    case RequestOutcome::block: break;
  }
  log_answer(head, 403, v.reason, v.rule);
  const std::string rule = v.rule ? v.rule->rule : "(no rule: the request names no host)";
  return http::RequestAnswer{http::RequestAction::block,
                             block_page(host, rule, record_.flow_id, to_string(v.reason)), {}};
}

// The broken request's method and target are unknown: the line has them empty.
void RequestPolicy::parse_failed(const std::string& error) {
  http::RequestHead head;
  head.version = gate_ ? std::string(gate_->version()) : "1.1";
  record_.inspect_error = error;
  log_answer(head, 403, RequestReason::inspect_error, std::nullopt);
}

void RequestPolicy::add_to_summary() {
  if (answered_ == 0) return;
  if (!record_.http) record_.http = HttpSummary{};
  record_.http->blocked = answered_;
}

void RequestPolicy::log_answer(const http::RequestHead& head, int status, RequestReason reason,
                               const std::optional<policy::Decision>& rule) {
  ++answered_;
  http::HttpExchange e;
  e.http_version = head.version;
  e.method = head.method;
  e.scheme = head.scheme.empty() ? (path_ == RequestPath::http_port ? "http" : "https") : head.scheme;
  e.authority = head.authority.value_or("");
  e.path = head.path;
  e.status = status;
  const std::string ts = log::rfc3339_utc(std::chrono::system_clock::now());
  const std::string community_id = log::community_id(record_.client, record_.server, log::ip_proto_tcp);
  const std::string client_ip = record_.client.ip.to_string();
  const std::string server_ip = record_.server.ip.to_string();
  const std::string* sni = record_.hello && record_.hello->sni ? &*record_.hello->sni : nullptr;
  const log::HttpEventFlow flow{ts,         record_.flow_id,     community_id, client_ip, record_.client.port,
                                server_ip, record_.server.port, sni};
  const log::HttpEventAction action{"block", to_string(reason), rule ? &rule->rule : nullptr};
  std::string line;
  log::write_http_event(line, flow, e, action);
  shared_.log.submit_serialized_event(line);
}

}  // namespace tlsgate

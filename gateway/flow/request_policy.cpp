#include "gateway/flow/request_policy.hpp"

#include <ctime>

#include "gateway/flow/answered_request_line.hpp"
#include "gateway/flow/block_page.hpp"
#include "gateway/flow/http_limits.hpp"
#include "gateway/flow/portal_redirect.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/log/events/http_event.hpp"
#include "gateway/policy/time_window.hpp"

namespace tlsgate {
namespace {

http::GateSettings gate_settings(const Config& config, RequestPath path) {
  http::GateSettings settings;
  settings.limits = http_limits(config);
  settings.scheme = path == RequestPath::http_port ? "http" : "https";
  settings.relay_unparsed_on_error = false;  // gates exist only where a host rule could matter
  settings.first_request_opens_upstream = path == RequestPath::http_port;
  return settings;
}

// An allowed request goes upstream with the deciding rule's header edits.
http::RequestAnswer allowed(const RequestVerdict& v) {
  http::RequestAnswer answer;
  answer.header_edits = v.header_edits;
  return answer;
}

}  // namespace

RequestPolicy::RequestPolicy(SharedState& shared, FlowRecord& record, const FlowFacts& facts, RequestPath path)
    : shared_(shared), record_(record), path_(path), addresses_(address_query(facts)), policy_(shared.policy) {}

bool RequestPolicy::needed(SharedState& shared, const FlowFacts& facts) {
  const auto policy = shared.policy.load();
  return policy && policy->host_can_matter(address_query(facts));
}

std::unique_ptr<http::RequestGate> RequestPolicy::make_gate(const std::optional<std::string>& alpn) {
  auto decide = [this](const http::RequestHead& head) {
    http::RequestAnswer answer = this->decide(head);
    if (answer.action == http::RequestAction::forward) header_rules_.forwarded(head, answer.header_edits);
    return answer;
  };
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
  const policy::MinuteOfWeek now = local_minute();
  // A keep-alive connection names one host again and again: a request with the authority of the
  // last allowed one, under the same policy and in the same minute (`when` windows), is allowed
  // again. Inside TLS everything else decide_request reads is the flow's and fixed, unless the
  // policy has request rules (path, method, headers): then each request is decided; on an HTTP
  // port the client's CA state may change between requests (onboarding), so each is decided.
  if (path_ == RequestPath::intercepted_tls && head.authority && allowed_policy_ == policy &&
      allowed_minute_ == now && *head.authority == allowed_authority_)
    return {};
  policy::Query addresses = addresses_;
  addresses.local_time = now;
  // The scheme is the connection's, whatever an h2 client puts in :scheme.
  addresses.request = policy::RequestFields{policy::request_path(head.path), head.method,
                                            path_ == RequestPath::http_port ? "http" : "https"};
  const RequestVerdict v = decide_request(*policy, addresses, path_, record_.verdict.rule, head.authority, client_ca());
  if (v.outcome == RequestOutcome::allow) {
    if (head.authority && path_ != RequestPath::http_port && !policy->has_request_rules()) {
      allowed_policy_ = policy;
      allowed_authority_ = *head.authority;
      allowed_minute_ = now;
    }
    return allowed(v);
  }
  const std::string host = v.host.value_or(head.authority.value_or(""));
  switch (v.outcome) {
    case RequestOutcome::allow: return allowed(v);
    case RequestOutcome::onboard: return onboard(head, v);
    case RequestOutcome::misdirected:
      log_answer(head, 421, v.reason, v.rule);
      return http::RequestAnswer{http::RequestAction::misdirected, misdirected_page(host), {}};
    case RequestOutcome::block: break;
  }
  log_answer(head, 403, v.reason, v.rule);
  const std::string rule = v.rule ? v.rule->rule : "(no rule: the request names no host)";
  const auto page = shared_.block_page.load();
  const BlockFacts facts{host, rule, record_.flow_id, to_string(v.reason)};
  return http::RequestAnswer{http::RequestAction::block, block_page(page ? *page : BlockPageTemplate{}, facts), {}};
}

// Only an HTTP port's requests are onboarded: inside TLS the state is not needed.
policy::MinuteOfWeek RequestPolicy::local_minute() {
  const std::time_t second = std::time(nullptr);
  if (second != minute_read_at_) {
    minute_read_at_ = second;
    minute_ = policy::local_minute_of_week(second);
  }
  return minute_;
}

ClientCa RequestPolicy::client_ca() const {
  if (path_ != RequestPath::http_port) return {};
  return ClientCa{shared_.client_ca.state(record_.client.ip), shared_.config.portal_redirect_failing_clients};
}

// A 302 to the portal. Without a portal URL (no portal_listen: the startup and
// reload checks refuse that; no route back to the client) onboard is intercept.
http::RequestAnswer RequestPolicy::onboard(const http::RequestHead& head, const RequestVerdict& v) {
  if (portal_url_.empty() && shared_.config.portal_listen)
    portal_url_ = portal_url(*shared_.config.portal_listen, record_.client.ip).value_or("");
  if (portal_url_.empty()) return {};
  log_answer(head, 302, v.reason, v.rule, "onboard");
  shared_.metrics.onboard_redirect();
  return http::RequestAnswer{http::RequestAction::redirect, onboard_page(portal_url_), portal_url_};
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
  record_.http->blocked += answered_;
}

void RequestPolicy::log_answer(const http::RequestHead& head, int status, RequestReason reason,
                               const std::optional<policy::Decision>& rule, std::string_view action) {
  ++answered_;
  http::HttpExchange e;
  e.http_version = head.version;
  e.method = head.method;
  e.scheme = head.scheme.empty() ? (path_ == RequestPath::http_port ? "http" : "https") : head.scheme;
  e.authority = head.authority.value_or("");
  e.path = head.path;
  e.status = status;
  const std::string* would_block = rule && rule->would_block ? &*rule->would_block : nullptr;
  const log::HttpEventAction answer{action, to_string(reason), rule ? &rule->rule : nullptr, would_block};
  log_answered_request(shared_, record_, e, answer);
}

}  // namespace tlsgate

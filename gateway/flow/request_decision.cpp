#include "gateway/flow/request_decision.hpp"

#include <algorithm>

#include "gateway/policy/host_pattern.hpp"

namespace tlsgate {

std::string_view to_string(RequestReason reason) {
  switch (reason) {
    case RequestReason::policy: return "policy";
    case RequestReason::host_mismatch: return "host_mismatch";
    case RequestReason::no_host: return "no_host";
    case RequestReason::inspect_error: return "inspect_error";
    case RequestReason::ca_failing: return "ca_failing";
  }
  return "policy";
}

std::optional<std::string> host_of_authority(std::string_view authority) {
  // userinfo is not allowed in Host, but a client may send it: the host follows the last '@'.
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    authority = authority.substr(1, close - 1);
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    if (std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      authority = authority.substr(0, colon);
  }
  if (authority.empty()) return std::nullopt;
  return policy::normalize_host(authority);
}

namespace {

RequestVerdict verdict(RequestOutcome outcome, RequestReason reason, std::optional<policy::Decision> rule,
                       std::optional<std::string> host) {
  return RequestVerdict{outcome, reason, std::move(rule), std::move(host), {}};
}

const policy::Rule* rule_of(const policy::Policy& policy, const policy::Decision& d) {
  return d.rule_index ? &policy.rules()[*d.rule_index] : nullptr;
}

// Another rule would intercept this host with other settings (capture, learned
// bypass). A request rule has none: the flow's rule keeps them.
bool other_settings(const policy::Policy& policy, const policy::Decision& a,
                    const std::optional<policy::Decision>& flow_rule) {
  if (!flow_rule) return false;
  if (const auto* r = rule_of(policy, a); r && r->is_request_rule()) return false;
  return a.capture != flow_rule->capture || a.learn_bypass != flow_rule->learn_bypass;
}

// Forwarded, with the edits of the rule that decided it.
RequestVerdict allowed(const policy::Policy& policy, policy::Decision d, std::optional<std::string> host) {
  RequestVerdict v = verdict(RequestOutcome::allow, RequestReason::policy, std::nullopt, std::move(host));
  if (const auto* r = rule_of(policy, d)) v.header_edits = r->header_edits;
  v.rule = std::move(d);
  return v;
}

}  // namespace

RequestVerdict decide_request(const policy::Policy& policy, const policy::Query& addresses, RequestPath path,
                              const std::optional<policy::Decision>& flow_rule,
                              const std::optional<std::string>& authority, ClientCa client) {
  const std::optional<std::string> host = authority ? host_of_authority(*authority) : std::nullopt;
  policy::Query q = addresses;
  if (!host) {
    // A request that names no host can be decided by addresses only when no host rule could change that.
    if (policy.host_can_matter(q)) return verdict(RequestOutcome::block, RequestReason::no_host, std::nullopt, host);
  } else {
    q.hosts = {*host};
  }
  policy::Decision d = policy.match(q);
  switch (d.action) {
    case policy::Action::block: return verdict(RequestOutcome::block, RequestReason::policy, std::move(d), host);
    case policy::Action::tunnel:
      // A tunnelled host is intercepted where a request rule could apply to it (decide_flow()): forwarded here too.
      if (path == RequestPath::intercepted_tls && !policy.requests_can_matter(q, d))
        return verdict(RequestOutcome::misdirected, RequestReason::host_mismatch, std::move(d), host);
      if (path == RequestPath::intercepted_tls && other_settings(policy, d, flow_rule))
        return verdict(RequestOutcome::misdirected, RequestReason::host_mismatch, std::move(d), host);
      break;
    case policy::Action::onboard:
      // Inside TLS the CA evidently works: onboard is intercept there.
      if (path == RequestPath::http_port && client.state != policy::CaState::working)
        return verdict(RequestOutcome::onboard, RequestReason::policy, std::move(d), host);
      [[fallthrough]];
    case policy::Action::intercept:
      if (path == RequestPath::intercepted_tls && other_settings(policy, d, flow_rule))
        return verdict(RequestOutcome::misdirected, RequestReason::host_mismatch, std::move(d), host);
      // What the operator tunnels is left alone; what is inspected may send a failing client to the portal.
      if (path == RequestPath::http_port && client.redirect_failing && client.state == policy::CaState::failing)
        return verdict(RequestOutcome::onboard, RequestReason::ca_failing, std::move(d), host);
      break;
  }
  return allowed(policy, std::move(d), std::move(host));
}

}  // namespace tlsgate

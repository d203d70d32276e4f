#include "gateway/flow/request_decision.hpp"

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

namespace {

RequestVerdict verdict(RequestOutcome outcome, RequestReason reason, std::optional<policy::Decision> rule,
                       std::optional<std::string> host) {
  return RequestVerdict{outcome, reason, std::move(rule), std::move(host)};
}

// Another rule would intercept this host with other settings (capture, learned bypass).
bool other_settings(const policy::Decision& a, const std::optional<policy::Decision>& flow_rule) {
  if (!flow_rule) return false;
  return a.capture != flow_rule->capture || a.learn_bypass != flow_rule->learn_bypass;
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
      if (path == RequestPath::intercepted_tls)
        return verdict(RequestOutcome::misdirected, RequestReason::host_mismatch, std::move(d), host);
      break;
    case policy::Action::onboard:
      // Inside TLS the CA evidently works: onboard is intercept there.
      if (path == RequestPath::http_port && client.state != policy::CaState::working)
        return verdict(RequestOutcome::onboard, RequestReason::policy, std::move(d), host);
      [[fallthrough]];
    case policy::Action::intercept:
      if (path == RequestPath::intercepted_tls && other_settings(d, flow_rule))
        return verdict(RequestOutcome::misdirected, RequestReason::host_mismatch, std::move(d), host);
      // What the operator tunnels is left alone; what is inspected may send a failing client to the portal.
      if (path == RequestPath::http_port && client.redirect_failing && client.state == policy::CaState::failing)
        return verdict(RequestOutcome::onboard, RequestReason::ca_failing, std::move(d), host);
      break;
  }
  return verdict(RequestOutcome::allow, RequestReason::policy, std::move(d), host);
}

}  // namespace tlsgate

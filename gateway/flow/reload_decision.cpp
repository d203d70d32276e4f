#include "gateway/flow/reload_decision.hpp"

namespace tlsgate {

DecisionSettings decision_settings(const Config& config) {
  return DecisionSettings{config.upstream_cert_error == UpstreamCertError::reject, config.http_inspect,
                          config.unidentified == UnidentifiedFlow::tunnel, config.portal_redirect_failing_clients};
}

std::optional<std::string> refused_after_reload(const policy::Policy& policy, const FlowFacts& facts,
                                                const FlowVerdict& verdict, DecisionSettings settings) {
  if (verdict.action != FlowAction::tunnel && verdict.action != FlowAction::intercept) return std::nullopt;
  // A flow without SNI was decided by its verified certificate's names, which
  // it forgets once decided: its verdict's host stands in for them.
  const bool names_forgotten = facts.upstream.state == UpstreamFacts::State::certificate &&
                               facts.upstream.names.empty() && verdict.host && *verdict.host;
  Verdict again;
  if (names_forgotten) {
    FlowFacts known = facts;
    known.upstream.names = {**verdict.host};
    again = decide_flow(policy, known, settings);
  } else {
    again = decide_flow(policy, facts, settings);
  }
  switch (again.response) {
    case Response::reset:
    case Response::deny:
    case Response::bad_certificate: return "policy reload: " + again.why;
    case Response::none:
    case Response::tunnel:
    case Response::observe:
    case Response::decide_requests:  // its next request answers to the new policy
    case Response::look_upstream:  // it would look closer first; what it runs as stays
    case Response::intercept: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace tlsgate

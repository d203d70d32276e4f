#include "gateway/flow/decision.hpp"

namespace tlsgate {
namespace {

using Upstream = UpstreamFacts::State;

policy::Query address_query(const FlowFacts& facts) {
  policy::Query q;
  q.client = facts.client;
  q.server = facts.server.ip;
  q.port = facts.server.port;
  return q;
}

Verdict ends(Next next, FlowAction action, EndReason reason, const policy::Decision& decision,
             std::optional<std::string> host) {
  return Verdict{next, action, reason, decision, std::move(host)};
}

// Flows that carry no ClientHello: only the addresses can decide.
Verdict decide_without_hello(const policy::Policy& policy, const FlowFacts& facts) {
  const policy::Decision d = policy.decide(address_query(facts));
  if (d.action == policy::Action::block) return ends(Next::block, FlowAction::block, EndReason::policy, d, {});
  if (facts.kind == FlowKind::plain) {
    // "Intercepting" plain HTTP means observing it on its way.
    if (d.action == policy::Action::intercept && facts.http_port)
      return ends(Next::observe, FlowAction::intercept, EndReason::policy, d, {});
    return ends(Next::tunnel, FlowAction::tunnel, EndReason::policy, d, {});
  }
  const EndReason why = facts.kind == FlowKind::not_tls ? EndReason::not_tls : EndReason::peek_timeout;
  return ends(Next::tunnel, FlowAction::tunnel, why, d, {});
}

// The policy's answer for this TLS flow, before any fallback; nullopt while the
// names of the upstream certificate are still needed.
std::optional<std::pair<policy::Decision, std::optional<std::string>>> policy_for_tls(
    const policy::Policy& policy, const FlowFacts& facts) {
  policy::Query q = address_query(facts);
  if (facts.sni) {
    q.hosts = {*facts.sni};
    return std::pair{policy.decide(q), facts.sni};
  }
  const UpstreamFacts& up = facts.upstream;
  if (up.state == Upstream::certificate && up.verified) {
    q.hosts = up.names;
    std::optional<std::string> host;
    if (!up.names.empty()) host = up.names.front();
    return std::pair{policy.decide(q), host};
  }
  if (up.state == Upstream::not_contacted && policy.host_can_matter(q)) return std::nullopt;
  return std::pair{policy.decide(q), std::nullopt};
}

}  // namespace

Verdict decide_flow(const policy::Policy& policy, const FlowFacts& facts, DecisionSettings settings) {
  if (facts.kind != FlowKind::tls) return decide_without_hello(policy, facts);
  const UpstreamFacts& up = facts.upstream;

  // Names nobody proved may still block: a client cannot lie its way past a block.
  if (up.state == Upstream::certificate && !up.verified && !up.names.empty()) {
    policy::Query q = address_query(facts);
    q.hosts = up.names;
    const policy::Decision by_names = policy.decide(q);
    if (by_names.action == policy::Action::block)
      return ends(Next::block, FlowAction::block, EndReason::policy, by_names, up.names.front());
  }

  const auto decided = policy_for_tls(policy, facts);
  if (!decided) return Verdict{Next::look_upstream, FlowAction::intercept, EndReason::policy, std::nullopt, std::nullopt};
  const auto& [d, host] = *decided;
  switch (d.action) {
    case policy::Action::block: return ends(Next::block, FlowAction::block, EndReason::policy, d, host);
    case policy::Action::tunnel: return ends(Next::tunnel, FlowAction::tunnel, EndReason::policy, d, host);
    case policy::Action::intercept: break;
  }
  if (facts.learned_bypass || !facts.alpn_observable) {
    // A tunnel the policy did not ask for: the SNI alone must not carry the
    // flow past a block rule, so the certificate's names are looked at first
    // whenever a host rule could block this address.
    const EndReason why = facts.learned_bypass ? EndReason::learned_bypass : EndReason::no_observable_alpn;
    if (up.state == Upstream::not_contacted && policy.host_can_matter(address_query(facts)))
      return ends(Next::look_upstream, FlowAction::tunnel, why, d, host);
    return ends(Next::tunnel, FlowAction::tunnel, why, d, host);
  }
  switch (up.state) {
    case Upstream::not_contacted:
      return ends(Next::look_upstream, FlowAction::intercept, EndReason::policy, d, host);
    case Upstream::unreachable:  // the caller ends the flow with the connect failure
      return ends(Next::intercept, FlowAction::intercept, EndReason::policy, d, host);
    case Upstream::handshake_failed:
      return ends(Next::tunnel, FlowAction::tunnel, EndReason::upstream_handshake_failed, d, host);
    case Upstream::certificate:
      if (up.verified) return ends(Next::intercept, FlowAction::intercept, EndReason::policy, d, host);
      // Never forge a trusted certificate for it: the client sees the real one, or nothing.
      if (settings.reject_invalid_upstream)
        return ends(Next::reject, FlowAction::reject, EndReason::upstream_cert_invalid, d, host);
      return ends(Next::tunnel, FlowAction::tunnel, EndReason::upstream_cert_invalid, d, host);
  }
  return ends(Next::block, FlowAction::block, EndReason::internal_error, d, host);
}

}  // namespace tlsgate

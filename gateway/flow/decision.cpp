#include "gateway/flow/decision.hpp"

namespace tlsgate {
policy::Query address_query(const FlowFacts& facts) {
  policy::Query q;
  q.client = facts.client;
  q.client_mac = facts.client_mac;
  q.local_time = facts.local_time;
  q.server = facts.server.ip;
  q.port = facts.server.port;
  return q;
}

namespace {

using Upstream = UpstreamFacts::State;

std::string blocked_by(const policy::Decision& d) { return "blocked by policy rule " + d.rule; }

// A flow on a TLS port whose host nobody proved may be tunnelled blind only
// when no host rule could change what it gets (or the operator said so).
bool may_tunnel_unidentified(const policy::Policy& policy, const FlowFacts& facts, DecisionSettings settings) {
  return settings.tunnel_unidentified || !policy.host_can_matter(address_query(facts));
}

Verdict unidentified(const policy::Decision& d) {
  return Verdict{Response::reset, FlowVerdict{FlowAction::reject, EndReason::unidentified, d, std::nullopt},
                 "host unknown and a host rule could change the outcome: not tunnelled blind"};
}

Verdict respond(Response response, FlowAction action, FlowReason reason, std::optional<policy::Decision> rule,
                std::string why = {}) {
  return Verdict{response, FlowVerdict{action, reason, std::move(rule), std::nullopt}, std::move(why)};
}

// Refusals that no rule can change: how the flow arrived, or a hello the parser refused.
std::optional<Verdict> decide_before_policy(const FlowFacts& facts) {
  switch (facts.arrival) {
    case Arrival::not_redirected:
      return respond(Response::reset, FlowAction::reject, EndReason::not_redirected, std::nullopt,
                     "connection to the gateway itself: refused (not an open proxy)");
    case Arrival::no_original_destination:
      return respond(Response::reset, FlowAction::reject, EndReason::no_original_destination, std::nullopt,
                     facts.detail);
    case Arrival::redirected: break;
  }
  // The router's forwarding rules never see the gateway's own upstream connects.
  if (facts.forbidden_destination)
    return respond(Response::reset, FlowAction::reject, EndReason::forbidden_destination, std::nullopt,
                   "original destination " + facts.server.ip.to_string() + " is forbidden (forbidden_destinations)");
  if (facts.kind == FlowKind::closed_early)
    return respond(Response::none, FlowAction::tunnel, EndReason::client_closed_early, std::nullopt, facts.detail);
  if (facts.kind == FlowKind::malformed)
    return respond(Response::reset, FlowAction::reject, facts.hello_error, std::nullopt, facts.detail);
  return std::nullopt;
}

// Flows that carry no ClientHello: only the addresses can decide.
Verdict decide_without_hello(const policy::Policy& policy, const FlowFacts& facts, DecisionSettings settings) {
  const policy::Query q = address_query(facts);
  const policy::Decision d = policy.match(q);
  // On an HTTP port where a host rule could give a request another outcome than
  // the addresses alone (a block as well as an allow), or an onboard rule could
  // send it to the portal, each request answers to the policy with its Host; the
  // requests are observed on their way.
  if (facts.kind == FlowKind::plain && facts.http_port &&
      (policy.host_can_matter(q) || (d.action != policy::Action::block &&
                                     (policy.onboard_can_matter(q) || settings.onboard_failing_clients))))
    return respond(Response::decide_requests, settings.http_inspect ? FlowAction::intercept : FlowAction::tunnel,
                   EndReason::policy, d);
  if (d.action == policy::Action::block)
    return respond(Response::reset, FlowAction::block, EndReason::policy, d, blocked_by(d));
  if (facts.kind == FlowKind::plain) {
    // "Intercepting" plain HTTP means observing it on its way (or only
    // capturing it, when HTTP inspection is off). Onboard observes what it lets through.
    const bool inspected = d.action == policy::Action::intercept || d.action == policy::Action::onboard;
    if (inspected && facts.http_port) {
      const FlowAction action = settings.http_inspect ? FlowAction::intercept : FlowAction::tunnel;
      return respond(Response::observe, action, EndReason::policy, d);
    }
    return respond(Response::tunnel, FlowAction::tunnel, EndReason::policy, d);
  }
  if (!may_tunnel_unidentified(policy, facts, settings)) return unidentified(d);
  const EndReason why = facts.kind == FlowKind::not_tls ? EndReason::not_tls : EndReason::peek_timeout;
  return respond(Response::tunnel, FlowAction::tunnel, why, d);
}

// The policy's answer for this TLS flow, before any fallback; nullopt while the
// names of the upstream certificate are still needed.
std::optional<std::pair<policy::Decision, std::optional<std::string>>> policy_for_tls(
    const policy::Policy& policy, const FlowFacts& facts) {
  policy::Query q = address_query(facts);
  if (facts.sni) {
    q.hosts = {*facts.sni};
    return std::pair{policy.match(q), facts.sni};
  }
  const UpstreamFacts& up = facts.upstream;
  if (up.state == Upstream::certificate && up.verified) {
    q.hosts = up.names;
    std::optional<std::string> host;
    if (!up.names.empty()) host = up.names.front();
    return std::pair{policy.match(q), host};
  }
  if (up.state == Upstream::not_contacted && policy.host_can_matter(q)) return std::nullopt;
  return std::pair{policy.match(q), std::nullopt};
}

// The facts' host as policy_for_tls() matched it: the SNI, or the verified certificate's names.
policy::Query host_query(const FlowFacts& facts) {
  policy::Query q = address_query(facts);
  if (facts.sni) q.hosts = {*facts.sni};
  else if (facts.upstream.state == Upstream::certificate && facts.upstream.verified) q.hosts = facts.upstream.names;
  return q;
}

// The client's or the upstream's ALPN cannot be read: interception could not
// offer the same protocols.
bool alpn_unobservable(const FlowFacts& facts) {
  return !facts.alpn_observable ||
         (facts.upstream.state == Upstream::certificate && !facts.upstream.alpn_observable);
}

// Interception as far as the upstream allows it: look at it first, intercept
// when it is unreachable (decide_flow() resets it, with the connect failure) or
// verified; nullopt when its certificate failed or its handshake did.
std::optional<Verdict> intercept_as_upstream_allows(const UpstreamFacts& up, const policy::Decision& d) {
  switch (up.state) {
    case Upstream::not_contacted: return respond(Response::look_upstream, FlowAction::intercept, EndReason::policy, d);
    case Upstream::unreachable: return respond(Response::intercept, FlowAction::intercept, EndReason::policy, d);
    case Upstream::certificate:
      if (up.verified) return respond(Response::intercept, FlowAction::intercept, EndReason::policy, d);
      return std::nullopt;
    case Upstream::handshake_failed: return std::nullopt;
  }
  return std::nullopt;
}

// A host the handshake's rule blocks, whose requests a rule before it may let
// through: intercepted once the upstream proved itself, otherwise blocked; a
// fallback never tunnels it.
Verdict intercept_blocked_host(const FlowFacts& facts, const policy::Decision& d) {
  if (!alpn_unobservable(facts))
    if (auto v = intercept_as_upstream_allows(facts.upstream, d)) return *v;
  return respond(Response::deny, FlowAction::block, EndReason::policy, d, blocked_by(d));
}

// A TLS flow with its ClientHello read; `host` is the name the verdict used.
Verdict decide_tls(const policy::Policy& policy, const FlowFacts& facts, DecisionSettings settings,
                   std::optional<std::string>& host) {
  const UpstreamFacts& up = facts.upstream;
  // Names nobody proved may still block: a client cannot lie its way past a block.
  if (up.state == Upstream::certificate && !up.verified && !up.names.empty()) {
    policy::Query q = address_query(facts);
    q.hosts = up.names;
    const policy::Decision by_names = policy.match(q);
    if (by_names.action == policy::Action::block) {
      host = up.names.front();
      return respond(Response::deny, FlowAction::block, EndReason::policy, by_names, blocked_by(by_names));
    }
  }

  const auto decided = policy_for_tls(policy, facts);
  if (!decided) return respond(Response::look_upstream, FlowAction::intercept, EndReason::policy, std::nullopt);
  const policy::Decision& d = decided->first;
  host = decided->second;
  // Request rules never match a handshake; where one comes before the rule
  // that did, the flow is intercepted so that each request can be decided.
  const bool requests = policy.requests_can_matter(host_query(facts), d);
  switch (d.action) {
    case policy::Action::block:
      if (requests) return intercept_blocked_host(facts, d);
      return respond(Response::deny, FlowAction::block, EndReason::policy, d, blocked_by(d));
    case policy::Action::tunnel:
      if (requests) break;  // intercepted as below, fallbacks included: the host may be tunnelled
      return respond(Response::tunnel, FlowAction::tunnel, EndReason::policy, d);
    case policy::Action::intercept:
    case policy::Action::onboard: break;  // no page can be shown inside TLS to a client without the CA
  }
  // A rule with learn_bypass false stays inspected, even under an entry learned before it said so.
  const bool learned = facts.learned_bypass && d.learn_bypass;
  const bool unobservable = alpn_unobservable(facts);
  if (learned || unobservable) {
    // A tunnel the policy did not ask for: the SNI alone must not carry the
    // flow past a block rule, so the certificate's names are looked at first
    // whenever a host rule could block this address.
    const EndReason why = learned ? EndReason::learned_bypass : EndReason::no_observable_alpn;
    if (up.state == Upstream::not_contacted && policy.host_can_matter(address_query(facts)))
      return respond(Response::look_upstream, FlowAction::tunnel, why, d);
    return respond(Response::tunnel, FlowAction::tunnel, why, d);
  }
  if (auto v = intercept_as_upstream_allows(up, d)) return *v;
  if (up.state == Upstream::handshake_failed)
    return respond(Response::tunnel, FlowAction::tunnel, EndReason::upstream_handshake_failed, d);
  // A certificate that failed verification: never forge a trusted certificate
  // for it, the client sees the real one, or nothing.
  if (settings.reject_invalid_upstream)
    return respond(Response::bad_certificate, FlowAction::reject, EndReason::upstream_cert_invalid, d,
                   "upstream certificate failed verification");
  return respond(Response::tunnel, FlowAction::tunnel, EndReason::upstream_cert_invalid, d);
}

// The host is proven when a certificate that verified backs it.
bool host_proven(const FlowFacts& facts) {
  return facts.upstream.state == Upstream::certificate && facts.upstream.verified;
}

// A tunnel the policy chose for the SNI is what the operator asked for; any
// other tunnel of a flow whose host was never proven is a fallback.
bool blind_fallback(const FlowFacts& facts, const Verdict& v) {
  if (v.response != Response::tunnel || host_proven(facts)) return false;
  const auto* reason = std::get_if<EndReason>(&v.flow.reason);
  const bool chosen_for_sni = facts.sni && reason && *reason == EndReason::policy;
  return !chosen_for_sni;
}

bool refuses(Response r) { return r == Response::reset || r == Response::deny || r == Response::bad_certificate; }

}  // namespace

Verdict decide_flow(const policy::Policy& policy, const FlowFacts& facts, DecisionSettings settings) {
  if (auto refused = decide_before_policy(facts)) return *std::move(refused);
  if (facts.kind != FlowKind::tls) return decide_without_hello(policy, facts, settings);
  std::optional<std::string> host;
  Verdict verdict = decide_tls(policy, facts, settings, host);
  verdict.flow.host.emplace(host);  // a TLS flow's line always has `host`: null without a name
  if (facts.upstream.state == Upstream::unreachable && !refuses(verdict.response)) {
    // Whatever was planned needs the upstream: the client is reset, and the
    // connect failure is why.
    verdict.response = Response::reset;
    verdict.flow.reason = facts.upstream.connect_failure;
    verdict.why = facts.upstream.error;
  }
  if (blind_fallback(facts, verdict) && !may_tunnel_unidentified(policy, facts, settings)) {
    std::optional<std::optional<std::string>> named = verdict.flow.host;
    verdict = unidentified(verdict.flow.rule.value_or(policy.match(address_query(facts))));
    verdict.flow.host = std::move(named);
  }
  return verdict;
}

std::string_view proto_of(const FlowFacts& facts) {
  if (facts.arrival != Arrival::redirected) return "tcp";
  switch (facts.kind) {
    case FlowKind::plain: return facts.http_port ? "http" : "tcp";
    case FlowKind::tls:
    case FlowKind::malformed: return "tls";
    case FlowKind::not_tls:
    case FlowKind::incomplete: return "unknown";
    case FlowKind::closed_early: return "tcp";
  }
  return "tcp";
}

}  // namespace tlsgate

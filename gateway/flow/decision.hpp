#pragma once
// The one decision point of a flow. What is known about a flow grows step by
// step (addresses, what the TLS port carried, the ClientHello, the upstream
// certificate's names and whether they verified); every step asks decide_flow()
// again with the facts it has, and every path, fallbacks included, follows the
// answer. Pure: no I/O, no clocks, safe from any thread.
#include <optional>
#include <string>
#include <vector>

#include "gateway/log/flow_record.hpp"
#include "gateway/ip_address.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate {

// What the first bytes of the connection turned out to be.
enum class FlowKind {
  plain,       // a port that is not a TLS port
  tls,         // a TLS port with a complete ClientHello
  not_tls,     // a TLS port whose first bytes are not TLS
  incomplete,  // a TLS port whose ClientHello did not arrive within peek_timeout_ms
};

// What the gateway learned by connecting upstream as a TLS client.
struct UpstreamFacts {
  enum class State { not_contacted, unreachable, handshake_failed, certificate };
  State state = State::not_contacted;
  std::vector<std::string> names;  // the certificate's DNS names and CN (state == certificate)
  bool verified = false;           // chain and name verified (state == certificate)
};

struct FlowFacts {
  IpAddress client;
  Endpoint server;  // the original destination
  FlowKind kind = FlowKind::plain;
  bool http_port = false;           // a plain port that carries HTTP (http_ports)
  std::optional<std::string> sni;   // the ClientHello's server name
  bool alpn_observable = true;      // no ALPN offer, or one that includes h2 / http/1.1
  bool learned_bypass = false;      // the learned-bypass table covers this client and host
  UpstreamFacts upstream;
};

// What the flow does next.
enum class Next {
  block,          // refuse: a reset, or a TLS alert once a ClientHello was read
  tunnel,         // relay the untouched bytes over a fresh upstream connection
  observe,        // relay a plain HTTP flow through the HTTP observer
  look_upstream,  // connect upstream as a TLS client, then decide again with its certificate
  intercept,      // forge, decrypt and relay
  reject,         // refuse with bad_certificate: the upstream failed verification (upstream_cert_error: reject)
};

struct Verdict {
  Next next = Next::block;
  FlowAction action = FlowAction::block;  // the flow line's `action` if the flow ends this way
  EndReason reason = EndReason::policy;
  std::optional<policy::Decision> decision;  // the rule that decided; none while waiting for names
  std::optional<std::string> host;           // the name the decision used
};

struct DecisionSettings {
  bool reject_invalid_upstream = false;  // upstream_cert_error: reject
};

// Host rules see the SNI; without one, the verified certificate's names. A
// certificate that did not verify proves nothing, but its names are still
// checked against block rules: a lying SNI cannot reach a blocked host through
// a fallback tunnel (upstream_cert_invalid, learned_bypass, no_observable_alpn:
// those look upstream first when a host rule could block), and unverified
// names never turn a flow into a tunnel. A tunnel the policy itself chose for
// the SNI is blind: docs/policy.md says what a host rule can guarantee.
Verdict decide_flow(const policy::Policy& policy, const FlowFacts& facts, DecisionSettings settings);

}  // namespace tlsgate

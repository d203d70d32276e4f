#pragma once
// The one decision point of a flow. What is known about a flow grows step by
// step (how it arrived, what the TLS port carried, the ClientHello, the
// upstream certificate's names and whether they verified); after each step the
// follower asks decide_flow() again with every fact so far, and carries out the
// answer. Only decide_flow() picks an action. Pure: no I/O, no clocks, safe
// from any thread.
#include <optional>
#include <string>
#include <vector>

#include "gateway/log/flow_record.hpp"
#include "gateway/ip_address.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/tls/client_hello.hpp"

namespace tlsgate {

// How the connection reached the gateway.
enum class Arrival {
  redirected,               // the kernel redirected it: it has an original destination
  not_redirected,           // addressed to the gateway itself (never an open proxy)
  no_original_destination,  // the kernel could not say where it was going
};

// What the first bytes of the connection turned out to be.
enum class FlowKind {
  plain,         // a port that is not a TLS port
  tls,           // a TLS port with a complete ClientHello
  not_tls,       // a TLS port whose first bytes are not TLS
  incomplete,    // a TLS port whose ClientHello did not arrive within peek_timeout_ms
  malformed,     // a TLS port whose ClientHello broke the parser (`hello_error`)
  closed_early,  // the client closed before its ClientHello was complete
};

// What the gateway learned by connecting upstream as a TLS client.
struct UpstreamFacts {
  enum class State { not_contacted, unreachable, handshake_failed, certificate };
  State state = State::not_contacted;
  EndReason connect_failure = EndReason::upstream_error;  // state == unreachable
  std::string error;                                      // unreachable: the connect error
  std::vector<std::string> names;  // the certificate's DNS names and CN (state == certificate)
  bool verified = false;           // chain and name verified (state == certificate)
  bool alpn_observable = true;     // none selected, or h2 / http/1.1 (state == certificate)
};

struct FlowFacts {
  Arrival arrival = Arrival::redirected;
  IpAddress client;
  std::optional<policy::MacAddress> client_mac;   // from the neighbour table, when the policy has groups by MAC
  std::optional<policy::MinuteOfWeek> local_time;  // when the flow arrived, for rules with `when`
  Endpoint server;  // the original destination
  FlowKind kind = FlowKind::plain;
  bool http_port = false;            // a plain port that carries HTTP (http_ports)
  std::string detail;                // what the kernel or the peek said, when it refused or failed
  tls::ClientHelloError hello_error = tls::ClientHelloError::bad_record;  // kind == malformed
  std::size_t hello_bytes = 0;       // the peeked ClientHello's size (kind == tls)
  std::optional<std::string> sni;    // the ClientHello's server name
  std::vector<std::string> alpn;     // its ALPN offer, offered to the upstream as it is
  bool alpn_observable = true;       // no ALPN offer, or one that includes h2 / http/1.1
  bool learned_bypass = false;       // the learned-bypass table covers this client and host
  bool forbidden_destination = false;  // redirected to an address in forbidden_destinations
  UpstreamFacts upstream;
};

// What the gateway does with the flow.
enum class Response {
  reset,            // refuse with a TCP reset
  deny,             // refuse with a TLS access_denied alert (a ClientHello was read)
  bad_certificate,  // refuse with a TLS bad_certificate alert (upstream_cert_error: reject)
  none,             // nothing: the client left before anything could be done
  tunnel,           // relay the untouched bytes over a fresh upstream connection
  observe,          // relay a plain HTTP flow through the HTTP observer
  decide_requests,  // a plain HTTP flow whose requests a host rule could refuse: each is decided
                    // before it moves, and the upstream is opened after the first allowed one
  look_upstream,    // connect upstream as a TLS client, then decide again with what it showed
  intercept,        // forge, decrypt and relay
};

struct Verdict {
  Response response = Response::reset;
  FlowVerdict flow;  // action, reason, rule and host, as the flow line shows them
  std::string why;   // the end's error text when the response refuses or does nothing
};

struct DecisionSettings {
  bool reject_invalid_upstream = false;  // upstream_cert_error: reject
  bool http_inspect = true;              // plain HTTP is observed, not only relayed
  bool tunnel_unidentified = false;      // unidentified: tunnel (a blind tunnel instead of a reset)
  bool onboard_failing_clients = false;  // portal_redirect_failing_clients: every HTTP-port request is decided
};

// Host rules see the SNI; without one, the verified certificate's names. A
// certificate that did not verify proves nothing, but its names are still
// checked against block rules: a lying SNI cannot reach a blocked host through
// a fallback tunnel (upstream_cert_invalid, learned_bypass, no_observable_alpn:
// those look upstream first when a host rule could block), and unverified
// names never turn a flow into a tunnel. On a TLS port, a flow whose host was
// never proven (no ClientHello in time, not TLS, or an SNI no verified
// certificate backs) is not tunnelled when a host rule could change its
// outcome: it is reset (`unidentified`), unless settings.tunnel_unidentified.
// A tunnel the policy itself chose for the SNI is blind: docs/policy.md says
// what a host rule can guarantee.
// Request rules (path, method, scheme, header edits) never match a handshake;
// a flow whose host one of them could apply to, before the rule that decided
// the handshake, is intercepted (a blocked host: only once a verified upstream
// proved it, else blocked) so that its requests are decided one by one.
Verdict decide_flow(const policy::Policy& policy, const FlowFacts& facts, DecisionSettings settings);

// What the policy matches for these facts before any host is known: client
// (and its MAC), server, port and the local time the flow arrived.
policy::Query address_query(const FlowFacts& facts);

// The flow line's `proto` for these facts: tls, http, tcp or unknown.
std::string_view proto_of(const FlowFacts& facts);

}  // namespace tlsgate

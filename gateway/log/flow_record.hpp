#pragma once
// The facts of one flow, gathered as it runs: pure data that every room may name.
// Its JSON line is log/events/flow_event; exactly one is written per accepted connection.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/ip_address.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/tls/client_hello.hpp"
#include "gateway/tls/openssl.hpp"

namespace tlsgate {

// Why a flow got its action (FlowVerdict) or ended as it did (FlowEnd::cause):
// the flow line's `reason`.
// Parser errors are the other alternative of FlowReason.
enum class EndReason {
  not_redirected,                // refused: not redirected to us (never an open proxy)
  no_original_destination,       // the kernel had no original destination for it
  forbidden_destination,         // refused: the original destination is in forbidden_destinations
  upstream_refused,              // upstream connect: connection refused (RST)
  upstream_unreachable,          // upstream connect: no route / host or network unreachable
  upstream_timeout,              // upstream connect: no answer within connect_timeout_ms
  upstream_error,                // upstream connect failed otherwise
  idle_timeout,                  // nothing moved for idle_timeout_s
  shutdown,                      // cut by the gateway stopping after its grace period
  peek_timeout,                  // a TLS port sent no complete ClientHello in time: decided by address
  client_closed_early,           // the client closed before its ClientHello was complete
  not_tls,                       // a TLS port carried something else: decided by address (no host)
  policy,                        // the policy decided the action (see `policy`)
  learned_bypass,                // tunnelled: this client rejected our certificate before
  upstream_cert_invalid,         // the upstream's certificate failed verification
  upstream_handshake_failed,     // TLS to the upstream failed for another reason: tunnelled
  no_observable_alpn,            // the client offered only protocols we cannot observe
  unidentified,                  // TLS port, host never proven, a host rule could matter: reset, not tunnelled
  client_rejected_certificate,   // the client refused the forged certificate
  client_handshake_failed,       // the client handshake failed otherwise
  request_blocked,               // an HTTP/1 request was answered by the gateway (403), then the connection closed
  content_blocked,               // content scanning withheld a response (block page instead), then the connection closed
  phase_timeout,                 // a phase before the relay overran its hard deadline (a backstop: see `end.error`)
  policy_reload,                 // running when a reloaded policy refused it: both sides reset
  internal_error,                // a bug: caught, logged, everyone else kept being served
};
std::string_view to_string(EndReason reason);

// The flow line's `reason`: an EndReason, or the ClientHello parser's error
// (written "client_hello_<error>", e.g. client_hello_bad_sni).
using FlowReason = std::variant<EndReason, tls::ClientHelloError>;
std::string reason_text(const FlowReason& reason);

enum class FlowAction { tunnel, intercept, block, reject };
std::string_view to_string(FlowAction action);

// Who ended the flow (`end.by`).
enum class EndBy { client, server, timeout, shutdown, error };
std::string_view to_string(EndBy by);

// Why the flow got its action: written from the decision only (decide_flow).
// Before any decision the flow counts as refused: the one default for a flow
// cut short (shutdown, a bug) before the policy was asked.
struct FlowVerdict {
  FlowAction action = FlowAction::reject;
  FlowReason reason = EndReason::internal_error;  // the line's `reason` unless the end has a cause
  std::optional<policy::Decision> rule;             // the rule that decided (`policy`)
  std::optional<std::optional<std::string>> host;   // `host` (TLS flows): null or the name policy saw
};

// How the flow ended: written from the relay (or the refusal) only.
struct FlowEnd {
  EndBy by = EndBy::error;
  std::optional<std::string> error;  // `end.error`
  // Set when the end, not the verdict, explains the flow (a timeout, the
  // shutdown, a failed connect or handshake, a rejected certificate, a bug):
  // then it is the line's `reason`.
  std::optional<EndReason> cause;
};

// What the ClientHello said: the line's `sni` and `tls.client`.
struct ClientHelloFacts {
  std::optional<std::string> sni;
  std::string version;  // highest offered: "TLSv1.3", or "0x7f1c"
  std::vector<std::string> alpn;
  std::string ja3;
  std::string ja4;
  bool ech = false;
};

// A leg's negotiated parameters. `version` and `cipher` are OpenSSL's static names.
struct NegotiatedTls {
  const char* version = "";
  const char* cipher = "";
  std::optional<std::string> alpn;
  bool resumed = false;
};

// The upstream leg (`tls.upstream`): its handshake failed (`error`), or what it negotiated.
struct UpstreamTls {
  std::optional<std::string> error;  // set: the line holds only the error
  NegotiatedTls negotiated;
  std::string verify;  // "ok" or OpenSSL's verify error
  // The upstream certificate (`cert`): a reference while the upstream SSL holds it
  // anyway, summarized only when the line is written (see summarize_certificate).
  tls::X509Ptr certificate;
  std::optional<nlohmann::ordered_json> certificate_summary;
};

// The HTTP observer's summary (`http`).
struct HttpSummary {
  std::uint64_t exchanges = 0;
  std::uint64_t blocked = 0;  // requests the gateway answered itself (403, 421), never forwarded
  bool websocket = false;
  std::uint64_t websocket_bytes = 0;  // when websocket
};

struct FlowRecord {
  std::uint64_t flow_id = 0;
  std::chrono::system_clock::time_point start_wall;
  std::chrono::steady_clock::time_point start;
  Endpoint client;
  Endpoint server;  // the original destination
  std::string proto = "tcp";
  FlowVerdict verdict;
  FlowEnd end;
  std::uint64_t from_client = 0;
  std::uint64_t to_client = 0;
  // Typed, not a JSON tree: a flow holds these for its whole life. Written after
  // `end` in this order when set: sni, tls {client {..., negotiated}, upstream,
  // forged}, host (from the verdict), http, inspect_error.
  std::optional<ClientHelloFacts> hello;          // `sni` and `tls.client`
  std::optional<NegotiatedTls> client_tls;        // `tls.client.negotiated`
  std::optional<UpstreamTls> upstream_tls;        // `tls.upstream`
  std::optional<bool> forged_cache_hit;           // `tls.forged.cache`: hit or miss
  std::optional<HttpSummary> http;                // `http`
  std::optional<std::string> inspect_error;       // `inspect_error`
};

// The line's `reason`: the end's cause when it has one, else the verdict's reason.
std::string line_reason(const FlowRecord& record);

// Replaces the upstream certificate reference with its summary: for a flow that
// keeps running without the upstream SSL (a tunnel after looking upstream).
void summarize_certificate(FlowRecord& record);

}  // namespace tlsgate

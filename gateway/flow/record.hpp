#pragma once
// The facts of one flow, gathered as it runs, and their JSON line. Exactly one
// `flow` line is written per accepted connection.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gateway/ip_address.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/tls/client_hello.hpp"

namespace tlsgate {

// Why a flow got its action or ended as it did (the flow line's `reason`).
// Parser errors are the other alternative of FlowReason.
enum class EndReason {
  not_redirected,                // refused: not redirected to us (never an open proxy)
  no_original_destination,       // the kernel had no original destination for it
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
  client_rejected_certificate,   // the client refused the forged certificate
  client_handshake_failed,       // the client handshake failed otherwise
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

// How a flow ended: what the steps return and the record keeps, set once.
struct FlowOutcome {
  FlowAction action = FlowAction::reject;
  FlowReason reason = EndReason::internal_error;
  EndBy end_by = EndBy::error;
  std::optional<std::string> error;  // `end.error`
};

struct FlowRecord {
  std::uint64_t flow_id = 0;
  std::chrono::system_clock::time_point start_wall;
  std::chrono::steady_clock::time_point start;
  Endpoint client;
  Endpoint server;  // the original destination
  std::string proto = "tcp";
  std::optional<policy::Decision> decision;  // the rule that decided (`policy`)
  FlowOutcome outcome;
  std::uint64_t from_client = 0;
  std::uint64_t to_client = 0;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // sni, tls, host, http, ...
};

// RFC 3339 UTC with microseconds: 2026-11-22T23:10:05.123456Z
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

// The `"event":"flow"` object; `end` is when the flow finished.
nlohmann::ordered_json flow_json(const FlowRecord& record, std::chrono::system_clock::time_point end_wall,
                                 std::chrono::steady_clock::time_point end);

}  // namespace tlsgate

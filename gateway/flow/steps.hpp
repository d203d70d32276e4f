#pragma once
// What every path of a flow shares: its context, connecting to the original
// destination, the blind tunnel, and refusing (reset or TLS alert). Steps
// return values; only run_flow() writes the outcome into the record.
#include <chrono>
#include <memory>

#include "gateway/asio.hpp"
#include "gateway/flow/decision.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/flow/relay/bridge_tap.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate {

struct FlowControl;
struct SharedState;

// One flow's sockets, record and policy snapshot, shared by its steps. The
// record collects facts (protocol, TLS details, bytes); the outcome is returned.
struct FlowContext {
  SharedState& shared;
  tcp::socket& client;
  tcp::socket& upstream;
  FlowRecord& record;
  FlowControl& control;
  std::shared_ptr<const policy::Policy> policy;  // the snapshot this flow keeps
  std::optional<FlowAction> planned;             // the latest verdict's action, for a cut-short flow
};

// Asks the one decision point with what is known now, and notes the rule and
// host it used in the record.
Verdict decide(FlowContext& flow, const FlowFacts& facts);

// Ends the flow as a verdict other than observe / look_upstream / intercept
// says: block (an alert when a ClientHello was read, `hello_bytes` > 0, else a
// reset), tunnel over a fresh connection, or reject with bad_certificate.
awaitable<FlowOutcome> follow(FlowContext& flow, const Verdict& verdict, std::size_t hello_bytes);

// Closes with RST so the peer learns at once that the flow failed.
void reset_socket(tcp::socket& socket);
void close_socket(tcp::socket& socket);

struct ConnectResult {
  bool connected = false;
  EndReason failure = EndReason::upstream_error;  // when !connected
  std::string error;
};

// Connects `upstream` to `destination` within `timeout`.
awaitable<ConnectResult> connect_upstream(tcp::socket& upstream, const Endpoint& destination,
                                          std::chrono::milliseconds timeout);

// Connects to the original destination and splices both ways until the end; a
// failed connect resets the client. The outcome carries `action` and `reason`
// unless the connect failed. With a `tap` the bytes pass through user space.
awaitable<FlowOutcome> tunnel(FlowContext& flow, FlowAction action, FlowReason reason, BridgeTap* tap = nullptr);

// Resets the client: the outcome of a flow refused before any TLS was read.
FlowOutcome refuse_with_reset(FlowContext& flow, FlowAction action, FlowReason reason, std::string why);

// Consumes the `hello_bytes` that were only peeked, answers with a fatal TLS
// alert and closes cleanly, so the client reads the alert instead of a reset.
FlowOutcome refuse_with_alert(FlowContext& flow, std::size_t hello_bytes, std::uint8_t alert, FlowAction action,
                              FlowReason reason, std::string why);

}  // namespace tlsgate

#pragma once
// The pipeline of a connection to a TLS port: peek the ClientHello, describe
// it in the flow record, let the policy decide, then block, tunnel or intercept.
#include <memory>

#include "gateway/asio.hpp"
#include "gateway/flow/record.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/tls/client_hello.hpp"

namespace tlsgate {

struct SharedState;
struct FlowControl;

// Everything the TLS steps of one flow share.
struct TlsFlow {
  SharedState& shared;
  tcp::socket& client;
  tcp::socket& upstream;
  FlowRecord& record;
  FlowControl& control;
  tls::ClientHello hello;
  std::size_t hello_bytes = 0;  // how many bytes of the stream the ClientHello records took
  std::shared_ptr<const policy::Policy> policy;
  policy::Query query;
};

awaitable<void> tls_port_flow(SharedState& shared, tcp::socket& client, tcp::socket& upstream, FlowRecord& record,
                              FlowControl& control);

// Puts the decision into the record (`policy`, `action`, `reason`).
void record_decision(FlowRecord& record, const policy::Decision& decision);

// Consumes the ClientHello, answers with a fatal TLS alert and closes cleanly,
// so the client reads the alert instead of a reset.
void refuse_with_alert(TlsFlow& flow, std::uint8_t alert);

// TLS alert descriptions the gateway sends.
constexpr std::uint8_t alert_bad_certificate = 42;
constexpr std::uint8_t alert_access_denied = 49;
constexpr std::uint8_t alert_decode_error = 50;

}  // namespace tlsgate

#pragma once
// A connection to a TLS port: peek the ClientHello, describe it in the flow
// record, decide, then block, tunnel or go on to interception.
#include "gateway/asio.hpp"
#include "gateway/flow/steps.hpp"

namespace tlsgate {

awaitable<FlowOutcome> tls_port_flow(FlowContext& flow);

}  // namespace tlsgate

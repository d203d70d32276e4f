#pragma once
// What a TLS port's first bytes say: a ClientHello (described in the record),
// something else, a broken hello, silence, or a client that left.
#include "gateway/asio.hpp"
#include "gateway/flow/decision.hpp"
#include "gateway/flow/flow_context.hpp"

namespace tlsgate {

// Peeks (the bytes stay in the kernel for a tunnel) and fills facts.kind and,
// for a ClientHello, the facts the decision and interception need.
awaitable<void> look_at_hello(FlowContext& flow, FlowFacts& facts);

}  // namespace tlsgate

#pragma once
// The one follower: asks decide_flow() with every fact known so far, writes the
// verdict into the record, and carries out its response. Looking upstream adds
// facts and asks again; every other response ends the flow.
#include "gateway/asio.hpp"
#include "gateway/flow/decision.hpp"
#include "gateway/flow/flow_context.hpp"

namespace tlsgate {

// `facts` belong to the caller, which awaits this to the flow's end.
awaitable<FlowEnd> carry_out(FlowContext& flow, FlowFacts& facts);

}  // namespace tlsgate

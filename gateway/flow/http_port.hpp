#pragma once
// A plain HTTP port where a host rule could refuse a request: every request
// head is decided before it moves, and the upstream connection is opened only
// after the first request was allowed (a refused first request never reaches
// the server at all).
#include "gateway/asio.hpp"
#include "gateway/flow/decision.hpp"
#include "gateway/flow/flow_context.hpp"
#include "gateway/log/flow_record.hpp"

namespace tlsgate {

awaitable<FlowEnd> serve_http_requests(FlowContext& flow, const FlowFacts& facts);

}  // namespace tlsgate

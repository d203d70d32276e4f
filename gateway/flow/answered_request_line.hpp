#pragma once
// The `http` line of a request the gateway answered itself, never forwarded (refused by the
// request policy, withheld by content scanning): the flow's facts from its record, the request
// and the gateway's answer, written to the flow log at once.
#include "gateway/http/observer.hpp"
#include "gateway/log/events/http_event.hpp"
#include "gateway/log/flow_record.hpp"

namespace tlsgate {

struct SharedState;

void log_answered_request(SharedState& shared, const FlowRecord& record, const http::HttpExchange& exchange,
                          const log::HttpEventAction& action);

}  // namespace tlsgate

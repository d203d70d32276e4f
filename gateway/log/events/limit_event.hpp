#pragma once
// The `"event":"limit"` line: the flows refused by max_flows / max_flows_per_client
// in the last interval (docs/flow-log.md).
#include <chrono>
#include <nlohmann/json.hpp>

namespace tlsgate::log {

// `refusals` is FlowLimits' summary; its fields follow `event` and `ts` in order.
nlohmann::ordered_json limit_json(nlohmann::ordered_json refusals, std::chrono::system_clock::time_point ts);

}  // namespace tlsgate::log

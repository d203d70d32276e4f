#pragma once
// The `"event":"flow"` line of one finished flow (docs/flow-log.md).
#include <chrono>
#include <nlohmann/json.hpp>

#include "gateway/log/flow_record.hpp"

namespace tlsgate::log {

// `end` is when the flow finished.
nlohmann::ordered_json flow_json(const FlowRecord& record, std::chrono::system_clock::time_point end_wall,
                                 std::chrono::steady_clock::time_point end);

}  // namespace tlsgate::log

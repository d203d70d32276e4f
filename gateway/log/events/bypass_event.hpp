#pragma once
// The `"event":"bypass"` line of one change of the learned-bypass table (docs/flow-log.md).
#include <nlohmann/json.hpp>

#include "gateway/policy/learned_bypass.hpp"

namespace tlsgate::log {

nlohmann::ordered_json bypass_json(const policy::BypassEvent& event);

}  // namespace tlsgate::log

#pragma once
// The `"event":"policy"` line of one policy reload (docs/flow-log.md).
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tlsgate::log {

// A reload of `file`: it loaded with `rules` rules, or failed with `error` (then
// `rules` is null); `closed_flows` running flows the new policy refused were closed.
nlohmann::ordered_json policy_reload_json(const std::string& file, std::optional<std::size_t> rules,
                                          const std::optional<std::string>& error, std::size_t closed_flows,
                                          std::chrono::system_clock::time_point ts);

}  // namespace tlsgate::log

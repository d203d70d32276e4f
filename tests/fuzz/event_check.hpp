#pragma once
// Fuzzers serialize the events their input leads to the way the daemon does
// (log::serialize_event, as FlowLog::submit_event), and check the line: one line of
// valid JSON. A throw or an abort here is a finding.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "gateway/log/serialize_event.hpp"

namespace tlsgate::fuzz {

inline void check_event_line(const nlohmann::ordered_json& event) {
  const std::string line = log::serialize_event(event);
  if (line.find('\n') != std::string::npos || !nlohmann::json::accept(line)) std::abort();
}

}  // namespace tlsgate::fuzz

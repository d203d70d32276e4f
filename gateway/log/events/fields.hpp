#pragma once
// The pieces several events share, written once so every line spells them alike.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gateway/ip_address.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate::log {

// RFC 3339 UTC with microseconds: 2026-11-22T23:10:05.123456Z (every event's `ts`).
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

// {"ip": "...", "port": N}: an event's `client` and `server`.
nlohmann::ordered_json endpoint_json(const Endpoint& endpoint);

// {"rule": "...", "action": "..."}: the rule that decided (`policy`).
nlohmann::ordered_json policy_json(const policy::Decision& decision);

// The text, or null when unset.
nlohmann::ordered_json optional_text(const std::optional<std::string>& text);

}  // namespace tlsgate::log

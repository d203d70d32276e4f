#pragma once
// The control protocol of the running daemon (gateway/daemon/control_socket), pure:
// one request line in, one response line out, both a JSON object.
//
//   {"command":"bypass list"}                                  -> {"ok":true,"entries":[{host, client, why, evidence, learned, expires}]}
//   {"command":"bypass forget","host":"h","client":"10.0.0.1"} -> {"ok":true,"forgotten":N}   ("client" optional)
//   {"command":"bypass clear"}                                 -> {"ok":true,"cleared":N}
//   anything wrong                                             -> {"ok":false,"error":"why"}
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gateway/policy/learned_bypass.hpp"

namespace tlsgate {

// An entry as `bypass list` reports it (client null for an all-clients entry).
nlohmann::ordered_json entry_json(const policy::BypassEntry& entry);

// Answers one request line. `bypass` null: learned bypass is off (an error for every
// bypass command). Never throws (bad input is an error response); the reply has no newline.
std::string handle_control_line(policy::LearnedBypass* bypass, std::string_view line) noexcept;

}  // namespace tlsgate

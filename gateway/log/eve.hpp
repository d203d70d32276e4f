#pragma once
// The EVE-compatible log (flow_log_format: eve): each native event (docs/flow-log.md)
// becomes one line with Suricata's EVE JSON names and shapes (timestamp,
// event_type, src_ip, ..., flow{}, tls{}, http{}), so pipelines built for
// Suricata (Filebeat's Suricata module, Vector, jq recipes) read it as is. What
// EVE has no field for stays under one extra object, `tlsgate`. docs/eve.schema.json.
#include <nlohmann/json.hpp>
#include <string>

namespace tlsgate::log {

// Pure: native event in, EVE event out. Unknown events become
// `"event_type":"tlsgate"` with the native fields under `tlsgate`.
nlohmann::ordered_json to_eve(const nlohmann::ordered_json& native);

// "2026-11-22T23:10:05.123456Z" -> "2026-11-22T23:10:05.123456+0000" (EVE's form).
std::string eve_timestamp(const std::string& rfc3339_utc);

}  // namespace tlsgate::log

#include "gateway/log/events/bypass_event.hpp"

#include "gateway/log/events/fields.hpp"

namespace tlsgate::log {

nlohmann::ordered_json bypass_json(const policy::BypassEvent& event) {
  const policy::BypassEntry& e = event.entry;
  nlohmann::ordered_json j;
  j["event"] = "bypass";
  j["ts"] = rfc3339_utc(event.ts);
  j["change"] = policy::to_string(event.change);
  j["client"] = e.all_clients ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.client.to_string());
  j["host"] = e.host;
  j["why"] = e.why;
  j["evidence"] = e.evidence;
  j["expires"] = rfc3339_utc(e.expires);
  return j;
}

}  // namespace tlsgate::log

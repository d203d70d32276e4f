#include "gateway/log/events/policy_event.hpp"

#include "gateway/log/events/fields.hpp"

namespace tlsgate::log {

nlohmann::ordered_json policy_reload_json(const std::string& file, std::optional<std::size_t> rules,
                                          const std::optional<std::string>& error, std::size_t closed_flows,
                                          std::chrono::system_clock::time_point ts) {
  nlohmann::ordered_json event;
  event["event"] = "policy";
  event["ts"] = rfc3339_utc(ts);
  event["file"] = file;
  event["ok"] = !error;
  event["rules"] = rules ? nlohmann::ordered_json(*rules) : nlohmann::ordered_json(nullptr);
  event["error"] = optional_text(error);
  event["closed_flows"] = closed_flows;
  return event;
}

}  // namespace tlsgate::log

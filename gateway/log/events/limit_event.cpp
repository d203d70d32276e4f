#include "gateway/log/events/limit_event.hpp"

#include "gateway/log/events/fields.hpp"

namespace tlsgate::log {

nlohmann::ordered_json limit_json(nlohmann::ordered_json refusals, std::chrono::system_clock::time_point ts) {
  nlohmann::ordered_json event;
  event["event"] = "limit";
  event["ts"] = rfc3339_utc(ts);
  for (auto& [key, value] : refusals.items()) event[key] = std::move(value);
  return event;
}

}  // namespace tlsgate::log

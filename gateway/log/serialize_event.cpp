#include "gateway/log/serialize_event.hpp"

namespace tlsgate::log {

std::string serialize_event(const nlohmann::ordered_json& event) {
  return event.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace tlsgate::log

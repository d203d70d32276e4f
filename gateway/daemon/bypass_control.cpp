#include "gateway/daemon/bypass_control.hpp"

#include "gateway/log/events/fields.hpp"
#include "gateway/log/serialize_event.hpp"

namespace tlsgate {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json error(const std::string& why) { return ordered_json{{"ok", false}, {"error", why}}; }

std::string string_field(const json& request, const char* name) {
  const auto it = request.find(name);
  if (it == request.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    throw std::invalid_argument(std::string("\"") + name + "\" must be a non-empty string");
  return it->get<std::string>();
}

ordered_json forget(policy::LearnedBypass& bypass, const json& request) {
  const std::string host = string_field(request, "host");
  std::optional<IpAddress> client;
  if (request.contains("client") && !request["client"].is_null()) {
    client = IpAddress::parse(string_field(request, "client"));
    if (!client) return error("\"client\" is not an IPv4 or IPv6 address");
  }
  return {{"ok", true}, {"forgotten", bypass.forget(host, client)}};
}

ordered_json answer(policy::LearnedBypass* bypass, const json& request) {
  if (!request.is_object()) return error("the request must be a JSON object");
  const std::string command = string_field(request, "command");
  if (command.starts_with("bypass ") && !bypass) return error("learned bypass is off in this daemon's config");
  if (command == "bypass list") {
    ordered_json entries = ordered_json::array();
    for (const auto& e : bypass->list()) entries.push_back(entry_json(e));
    return {{"ok", true}, {"entries", std::move(entries)}};
  }
  if (command == "bypass forget") return forget(*bypass, request);
  if (command == "bypass clear") return {{"ok", true}, {"cleared", bypass->clear()}};
  return error("unknown command \"" + command + "\" (known: bypass list, bypass forget, bypass clear)");
}

}  // namespace

ordered_json entry_json(const policy::BypassEntry& e) {
  return {{"host", e.host},
          {"client", e.all_clients ? ordered_json(nullptr) : ordered_json(e.client.to_string())},
          {"why", e.why},
          {"evidence", e.evidence},
          {"learned", log::rfc3339_utc(e.learned)},
          {"expires", log::rfc3339_utc(e.expires)}};
}

std::string handle_control_line(policy::LearnedBypass* bypass, std::string_view line) noexcept {
  try {
    ordered_json reply;
    try {
      reply = answer(bypass, json::parse(line));
    } catch (const json::exception& e) {
      reply = error(std::string("bad request: ") + e.what());
    } catch (const std::invalid_argument& e) {
      reply = error(std::string("bad request: ") + e.what());
    }
    return log::serialize_event(reply);
  } catch (...) {  // allocation failure
    return R"({"ok":false,"error":"internal error"})";
  }
}

}  // namespace tlsgate

#include "gateway/daemon/flow_listing.hpp"

#include <algorithm>
#include <cmath>

namespace tlsgate {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json endpoint_json(const Endpoint& ep) { return {{"ip", ep.ip.to_string()}, {"port", ep.port}}; }

// Seconds with a tenth: enough to tell a stuck flow from a busy one.
double tenths(double seconds) { return std::round(seconds * 10) / 10; }

// A non-negative whole number field, or nullopt (and `error`) when present and not one.
std::optional<std::uint64_t> whole_number(const json& request, const char* key, std::uint64_t fallback,
                                          std::string& error) {
  if (!request.contains(key)) return fallback;
  const json& v = request[key];
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
    error = std::string(key) + " must be a non-negative whole number";
    return std::nullopt;
  }
  return v.get<std::uint64_t>();
}

}  // namespace

std::optional<FlowsRequest> parse_flows_request(const json& request, std::string& error) {
  FlowsRequest out;
  const auto older = whole_number(request, "older_than_s", 0, error);
  if (!older) return std::nullopt;
  const auto limit = whole_number(request, "limit", out.limit, error);
  if (!limit) return std::nullopt;
  if (*older > 10'000'000) {  // past 100 days, no flow is that old: a typo
    error = "older_than_s is too large";
    return std::nullopt;
  }
  out.older_than = std::chrono::seconds(*older);
  out.limit = static_cast<std::size_t>(std::min<std::uint64_t>(*limit, max_flows_listed));
  return out;
}

ordered_json flow_snapshot_json(const FlowSnapshot& flow) {
  ordered_json j;
  j["flow_id"] = flow.flow_id;
  j["client"] = endpoint_json(flow.client);
  j["server"] = endpoint_json(flow.server);
  j["host"] = flow.host ? ordered_json(*flow.host) : ordered_json(nullptr);
  j["phase"] = to_string(flow.phase);
  j["age_s"] = tenths(flow.age_s);
  j["idle_s"] = tenths(flow.idle_s);
  return j;
}

std::string flows_reply(FlowsGathered gathered, std::size_t limit) {
  auto& flows = gathered.flows;
  const std::size_t n = std::min(limit, flows.size());
  const auto oldest_first = [](const FlowSnapshot& a, const FlowSnapshot& b) { return a.age_s > b.age_s; };
  std::partial_sort(flows.begin(), flows.begin() + static_cast<std::ptrdiff_t>(n), flows.end(), oldest_first);
  ordered_json reply;
  reply["ok"] = true;
  reply["workers"] = gathered.workers;
  reply["answered"] = gathered.answered;
  reply["running"] = gathered.running;
  reply["older"] = gathered.older;
  ordered_json list = ordered_json::array();
  for (std::size_t i = 0; i < n; ++i) list.push_back(flow_snapshot_json(flows[i]));
  reply["flows"] = std::move(list);
  // Hosts come from the client (SNI): invalid UTF-8 is replaced, never thrown on.
  return reply.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace tlsgate

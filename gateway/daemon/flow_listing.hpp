#pragma once
// The control socket's `flows` command (`tlsgate status --flows`), pure: the
// request's fields and the reply. The gathering from the workers is in
// control_plane.cpp.
//
//   {"command":"flows","older_than_s":N,"limit":M}
//     -> {"ok":true,"workers":W,"answered":A,"running":R,"older":K,
//         "flows":[{flow_id, client:{ip,port}, server:{ip,port}, host, phase, age_s, idle_s}]}
//
// `older`: the flows running for at least N s (default 0: all) on the workers that
// answered; `flows`: the oldest M of them (default 100, at most 10,000), oldest first.
// A worker that does not answer in time is left out (answered < workers).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gateway/flow/flow_watch.hpp"

namespace tlsgate {

struct FlowsRequest {
  std::chrono::seconds older_than{0};
  std::size_t limit = 100;
};

constexpr std::size_t max_flows_listed = 10000;

// The request's fields, or nullopt with `error` set when one is invalid.
std::optional<FlowsRequest> parse_flows_request(const nlohmann::json& request, std::string& error);

// What the workers answered.
struct FlowsGathered {
  std::size_t workers = 0;
  std::size_t answered = 0;
  std::size_t running = 0;
  std::size_t older = 0;
  std::vector<FlowSnapshot> flows;  // each worker's oldest, in any order
};

// The reply line (no newline): the oldest `limit` flows of all workers, oldest first.
std::string flows_reply(FlowsGathered gathered, std::size_t limit);

nlohmann::ordered_json flow_snapshot_json(const FlowSnapshot& flow);

}  // namespace tlsgate

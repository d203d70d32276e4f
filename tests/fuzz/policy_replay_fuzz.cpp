// Fuzzes `tlsgate policy replay`'s reader: an input is a flow log (any bytes),
// replayed against a fixed policy with host, address and log-mode rules. Every
// line must land in exactly one count, and the report must print.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <sstream>
#include <string>

#include "gateway/policy/policy_replay.hpp"

namespace {

using namespace tlsgate::policy;

const Policy& fixed_policy() {
  static const Policy policy = Policy::parse(R"({"default": "intercept", "rules": [
    {"name": "watch", "host": "*.ads.example", "action": "block", "mode": "log"},
    {"name": "ads", "host": ["ads.example", "*.ads.example"], "action": "block"},
    {"name": "banks", "host": "bank.example", "action": "tunnel"},
    {"name": "lab", "client": ["10.9.0.0/16", "fd00::/8"], "port": [80, "8000-8999"], "action": "block"},
    {"name": "guests", "server": "192.0.2.0/24", "action": "onboard"}
  ]})", "fuzz.json");
  return policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Replay replay(fixed_policy());
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  replay_stream(replay, in);
  const ReplaySummary s = replay.summary();
  if (s.lines != s.flow_lines + s.http_lines + s.not_replayed + s.other_events + s.bad_lines) std::abort();
  const std::uint64_t changed = std::accumulate(s.changes.begin(), s.changes.end(), std::uint64_t{0},
                                                [](std::uint64_t n, const ReplayChange& c) { return n + c.count; });
  if (changed + s.unchanged != s.flow_lines + s.http_lines) std::abort();
  if (s.first_bad.size() > max_reported_bad_lines || s.first_bad.size() > s.bad_lines) std::abort();
  for (std::size_t i = 1; i < s.changes.size(); ++i)
    if (!(s.changes[i - 1] < s.changes[i]) || s.changes[i].before == s.changes[i].after) std::abort();
  format_replay(s, "fuzz.json");
  replay_json(s, "fuzz.json").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}

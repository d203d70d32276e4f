#pragma once
// `tlsgate policy replay`: what a new policy would decide differently for the
// flows and HTTP requests of a recorded flow log (docs/policy.md, "Replay").
// Each flow line gives the policy's query from its client, server, port and
// host (or SNI), and is compared by the policy action it recorded
// (`policy.action`); each http line gives its client, server, port and host
// (its authority), and is compared by allow / block. A log does not record the
// client's MAC or the local time: client groups match by address only, and
// rules with `when` do not match. Pure apart from reading the stream.
#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/policy/policy.hpp"

namespace tlsgate::policy {

// A line longer than this is a bad line (flow lines are a few KB; http lines
// with captured bodies up to a few hundred).
constexpr std::size_t max_replay_line_bytes = 4u << 20;
constexpr std::size_t max_replay_json_depth = 32;
constexpr std::size_t max_reported_bad_lines = 5;

// One decision that changes, counted over the lines that share all its fields.
struct ReplayChange {
  std::string client;  // the client's address
  std::string host;    // the host the decision saw; empty when the line has none
  std::string event;   // "flow" or "http"
  std::string before;  // flow: the recorded policy action; http: allow or block
  std::string after;   // the same, decided by the new policy
  std::string rule;    // the new policy's deciding rule (a name, "rules[i]" or "default")
  std::uint64_t count = 0;
  auto operator<=>(const ReplayChange&) const = default;
};

struct ReplayBadLine {
  std::uint64_t line = 0;  // 1-based
  std::string error;
};

struct ReplaySummary {
  std::uint64_t lines = 0;         // lines read, empty ones not counted
  std::uint64_t flow_lines = 0;    // flow lines replayed
  std::uint64_t http_lines = 0;    // http lines replayed
  std::uint64_t unchanged = 0;     // replayed lines the new policy decides the same
  std::uint64_t not_replayed = 0;  // flow and http lines with no policy decision to compare (see below)
  std::uint64_t other_events = 0;  // events other than flow and http
  std::uint64_t bad_lines = 0;     // not JSON, too long or deep, or a field missing or malformed
  std::vector<ReplayBadLine> first_bad;  // the first max_reported_bad_lines of them
  std::vector<ReplayChange> changes;     // sorted by client, host, event, before, after, rule
};

class Replay {
 public:
  explicit Replay(const Policy& policy) : policy_(policy) {}

  // One line of the log, without its newline. Never throws for what a line
  // holds: a line that cannot be replayed is counted. Not replayed: flow lines
  // without `policy` (refused before the policy was asked), http lines the
  // policy did not decide (no host, inspect_error, host_mismatch, onboarding,
  // which depend on the flow's rule and the client's CA state).
  void add_line(std::string_view line);
  // A line that was cut at max_replay_line_bytes.
  void add_too_long_line();
  ReplaySummary summary() const;

 private:
  void bad(std::string error);
  void replay(const nlohmann::json& event);
  bool replay_flow(const nlohmann::json& event, Query q, const std::string& client);
  bool replay_http(const nlohmann::json& event, Query q, const std::string& client);
  void compare(const std::string& client, const std::string& host, const char* event, const std::string& before,
               const std::string& after, const Decision& now);

  const Policy& policy_;
  ReplaySummary summary_;
  std::uint64_t line_number_ = 0;
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;
  std::map<Key, std::uint64_t> changes_;
};

// Reads `in` line by line (each at most max_replay_line_bytes; the rest of a
// longer line is skipped) into `replay`.
void replay_stream(Replay& replay, std::istream& in);

// The report: a header (what was read, what a log cannot tell), then one line
// per change: "CLIENT HOST EVENT: BEFORE -> AFTER by RULE (N)".
std::string format_replay(const ReplaySummary& summary, const std::string& policy_source);
// The same as one JSON object (`--json`).
nlohmann::ordered_json replay_json(const ReplaySummary& summary, const std::string& policy_source);

}  // namespace tlsgate::policy

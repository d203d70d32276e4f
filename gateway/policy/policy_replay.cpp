#include "gateway/policy/policy_replay.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "gateway/json_limits.hpp"
#include "gateway/policy/authority.hpp"

namespace tlsgate::policy {
namespace {

using nlohmann::json;

// A field of an object, or nullptr when it is missing.
const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* string_member(const json& object, const char* key) {
  const json* v = member(object, key);
  return v && v->is_string() ? &v->get_ref<const std::string&>() : nullptr;
}

// `{"ip": ..., "port": ...}` as the log writes an endpoint.
std::optional<std::pair<IpAddress, std::uint16_t>> endpoint(const json& event, const char* key) {
  const json* e = member(event, key);
  if (!e || !e->is_object()) return std::nullopt;
  const std::string* ip_text = string_member(*e, "ip");
  const json* port = member(*e, "port");
  const auto ip = ip_text ? IpAddress::parse(*ip_text) : std::nullopt;
  if (!ip || !port || !port->is_number_unsigned() || port->get<std::uint64_t>() > 65535) return std::nullopt;
  return std::pair{*ip, static_cast<std::uint16_t>(port->get<std::uint64_t>())};
}

// What an http line recorded, as replay compares it; nullopt when the policy
// did not decide it alone (see Replay::add_line).
std::optional<std::string> recorded_request_outcome(const json& event) {
  const std::string* action = string_member(event, "action");
  if (!action) return std::nullopt;
  if (*action == "allow") return "allow";
  const std::string* reason = string_member(event, "reason");
  if (*action == "block" && reason && *reason == "policy") return "block";
  return std::nullopt;
}

}  // namespace

void Replay::bad(std::string error) {
  ++summary_.bad_lines;
  if (summary_.first_bad.size() < max_reported_bad_lines) summary_.first_bad.push_back({line_number_, std::move(error)});
}

void Replay::add_too_long_line() {
  ++line_number_;
  ++summary_.lines;
  bad("longer than " + std::to_string(max_replay_line_bytes >> 20) + " MiB");
}

void Replay::add_line(std::string_view line) {
  ++line_number_;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  ++summary_.lines;
  if (line.size() > max_replay_line_bytes) return bad("longer than " + std::to_string(max_replay_line_bytes >> 20) + " MiB");
  if (json_too_deep(line, max_replay_json_depth)) return bad("JSON nested too deep");
  const json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return bad("not JSON");
  if (!event.is_object()) return bad("not a JSON object");
  replay(event);
}

void Replay::replay(const json& event) {
  const std::string* kind = string_member(event, "event");
  if (!kind) return bad("no \"event\"");
  if (*kind != "flow" && *kind != "http") {
    ++summary_.other_events;
    return;
  }
  const auto client = endpoint(event, "client");
  const auto server = endpoint(event, "server");
  if (!client) return bad("\"client\" is not {\"ip\", \"port\"}");
  if (!server) return bad("\"server\" is not {\"ip\", \"port\"}");
  Query q;
  q.client = client->first;
  q.server = server->first;
  q.port = server->second;
  const std::string client_text = client->first.to_string();
  const bool replayed = *kind == "flow" ? replay_flow(event, std::move(q), client_text)
                                        : replay_http(event, std::move(q), client_text);
  if (!replayed) ++summary_.not_replayed;
}

bool Replay::replay_flow(const json& event, Query q, const std::string& client) {
  const json* recorded = member(event, "policy");
  if (!recorded) return false;  // refused before the policy was asked
  const std::string* before = recorded->is_object() ? string_member(*recorded, "action") : nullptr;
  if (!before || !parse_action(*before)) {
    bad("\"policy\" is not {\"rule\", \"action\"}");
    return true;  // counted as bad, not as not replayed
  }
  // The name the flow's decision saw: `host`, or the SNI.
  const std::string* host = string_member(event, "host");
  if (!host) host = string_member(event, "sni");
  if (host) q.hosts = {*host};
  ++summary_.flow_lines;
  const Decision now = policy_.match(q);
  compare(client, host ? normalize_host(*host) : "", "flow", *before, std::string(to_string(now.action)), now);
  return true;
}

bool Replay::replay_http(const json& event, Query q, const std::string& client) {
  const auto before = recorded_request_outcome(event);
  const std::string* authority = string_member(event, "authority");
  const auto host = authority ? host_of_authority(*authority) : std::nullopt;
  if (!before || !host) return false;
  q.hosts = {*host};
  ++summary_.http_lines;
  const Decision now = policy_.match(q);
  compare(client, *host, "http", *before, now.action == Action::block ? "block" : "allow", now);
  return true;
}

void Replay::compare(const std::string& client, const std::string& host, const char* event, const std::string& before,
                     const std::string& after, const Decision& now) {
  if (before == after) {
    ++summary_.unchanged;
    return;
  }
  ++changes_[Key{client, host, event, before, after, now.rule}];
}

ReplaySummary Replay::summary() const {
  ReplaySummary out = summary_;
  for (const auto& [key, count] : changes_) {
    const auto& [client, host, event, before, after, rule] = key;
    out.changes.push_back({client, host, event, before, after, rule, count});
  }
  return out;  // the map's order is the documented order
}

void replay_stream(Replay& replay, std::istream& in) {
  std::string line;
  bool too_long = false;
  const auto end_line = [&] {
    if (too_long) replay.add_too_long_line();
    else replay.add_line(line);
    line.clear();
    too_long = false;
  };
  std::vector<char> chunk(64 * 1024);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    std::string_view data(chunk.data(), static_cast<std::size_t>(in.gcount()));
    for (;;) {
      const auto newline = data.find('\n');
      const std::string_view part = data.substr(0, newline);
      if (!too_long && line.size() + part.size() > max_replay_line_bytes) {
        too_long = true;
        line = std::string();
      }
      if (!too_long) line.append(part);
      if (newline == std::string_view::npos) break;
      end_line();
      data.remove_prefix(newline + 1);
    }
  }
  if (too_long || !line.empty()) end_line();
}

std::string format_replay(const ReplaySummary& s, const std::string& policy_source) {
  std::string out = "replay of " + policy_source + ": " + std::to_string(s.lines) + " lines read; replayed " +
                    std::to_string(s.flow_lines) + " flow and " + std::to_string(s.http_lines) + " http lines (" +
                    std::to_string(s.unchanged) + " unchanged); " + std::to_string(s.not_replayed) +
                    " not replayable (no policy decision recorded); " + std::to_string(s.other_events) +
                    " other events; " + std::to_string(s.bad_lines) + " bad lines\n";
  out += "not in a log: the client's MAC (groups match by address only) and the local time (rules with \"when\" "
         "do not match)\n";
  for (const auto& b : s.first_bad) out += "bad line " + std::to_string(b.line) + ": " + b.error + "\n";
  if (s.bad_lines > s.first_bad.size())
    out += "(and " + std::to_string(s.bad_lines - s.first_bad.size()) + " more bad lines)\n";
  if (s.changes.empty()) {
    out += "no changes\n";
    return out;
  }
  out += "changes (client host event: before -> after by rule (lines)):\n";
  for (const auto& c : s.changes)
    out += c.client + " " + (c.host.empty() ? "(no host)" : c.host) + " " + c.event + ": " + c.before + " -> " +
           c.after + " by " + c.rule + " (" + std::to_string(c.count) + ")\n";
  return out;
}

nlohmann::ordered_json replay_json(const ReplaySummary& s, const std::string& policy_source) {
  nlohmann::ordered_json j;
  j["policy"] = policy_source;
  j["lines"] = s.lines;
  j["replayed"] = {{"flow", s.flow_lines}, {"http", s.http_lines}};
  j["unchanged"] = s.unchanged;
  j["not_replayed"] = s.not_replayed;
  j["other_events"] = s.other_events;
  j["bad_lines"] = s.bad_lines;
  j["first_bad"] = nlohmann::ordered_json::array();
  for (const auto& b : s.first_bad) j["first_bad"].push_back({{"line", b.line}, {"error", b.error}});
  j["unknown"] = {"client_mac", "local_time"};
  j["changes"] = nlohmann::ordered_json::array();
  for (const auto& c : s.changes)
    j["changes"].push_back({{"client", c.client},
                            {"host", c.host.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(c.host)},
                            {"event", c.event},
                            {"before", c.before},
                            {"after", c.after},
                            {"rule", c.rule},
                            {"count", c.count}});
  return j;
}

}  // namespace tlsgate::policy

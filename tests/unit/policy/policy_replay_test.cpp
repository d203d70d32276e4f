#include "gateway/policy/policy_replay.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace tlsgate::policy {
namespace {

const char* const new_policy = R"({"default": "intercept", "rules": [
  {"name": "ads", "host": ["ads.example", "*.ads.example"], "action": "block"},
  {"name": "banks", "host": "bank.example", "action": "tunnel"},
  {"name": "lab", "client": "10.9.0.0/16", "port": 80, "action": "block"}
]})";

std::string flow_line(const char* client, const char* sni, const char* policy_action, const char* rule = "default") {
  return std::string(R"({"event":"flow","ts":"2026-12-07T05:00:00.000Z","flow_id":1,"client":{"ip":")") + client +
         R"(","port":40000},"server":{"ip":"192.0.2.10","port":443},"proto":"tls","action":"intercept",)"
         R"("reason":"policy","sni":")" + sni + R"(","host":")" + sni + R"(","policy":{"rule":")" + rule +
         R"(","action":")" + policy_action + R"("}})";
}

std::string http_line(const char* client, const char* authority, const char* action_fields, int port = 80) {
  return std::string(R"({"event":"http","flow_id":2,"client":{"ip":")") + client +
         R"(","port":40001},"server":{"ip":"192.0.2.10","port":)" + std::to_string(port) + R"(},"sni":null,)" +
         action_fields + R"(,"method":"GET","scheme":"http","authority":")" + authority + R"(","path":"/"})";
}

ReplaySummary run(const std::string& log) {
  const auto policy = Policy::parse(new_policy, "new.json");
  Replay replay(policy);
  std::istringstream in(log);
  replay_stream(replay, in);
  return replay.summary();
}

TEST(PolicyReplay, ChangesPerClientAndHostSortedAndCounted) {
  const std::string log =
      flow_line("10.0.0.3", "x.ads.example", "intercept") + "\n" +
      flow_line("10.0.0.2", "ADS.example", "intercept") + "\n" +  // the host is normalised
      flow_line("10.0.0.2", "ads.example", "intercept") + "\n" +
      flow_line("10.0.0.2", "www.example", "intercept") + "\n" +         // unchanged
      flow_line("10.0.0.2", "bank.example", "block", "old") + "\n" +     // block -> tunnel
      http_line("10.0.0.2", "ads.example:80", R"("action":"allow")") + "\n" +
      http_line("10.0.0.2", "www.example", R"("action":"block","reason":"policy","rule":"old")") + "\n" +
      http_line("10.9.0.5", "www.example", R"("action":"allow")") + "\n" +  // address rule
      http_line("10.9.0.5", "www.example", R"("action":"allow")", 8080) + "\n";
  const ReplaySummary s = run(log);
  EXPECT_EQ(s.lines, 9u);
  EXPECT_EQ(s.flow_lines, 5u);
  EXPECT_EQ(s.http_lines, 4u);
  EXPECT_EQ(s.unchanged, 2u);
  EXPECT_EQ(s.bad_lines, 0u);
  const std::vector<ReplayChange> expected = {
      {"10.0.0.2", "ads.example", "flow", "intercept", "block", "ads", 2},
      {"10.0.0.2", "ads.example", "http", "allow", "block", "ads", 1},
      {"10.0.0.2", "bank.example", "flow", "block", "tunnel", "banks", 1},
      {"10.0.0.2", "www.example", "http", "block", "allow", "default", 1},
      {"10.0.0.3", "x.ads.example", "flow", "intercept", "block", "ads", 1},
      {"10.9.0.5", "www.example", "http", "allow", "block", "lab", 1},
  };
  EXPECT_EQ(s.changes, expected);
  EXPECT_EQ(format_replay(s, "new.json"),
            "replay of new.json: 9 lines read; replayed 5 flow and 4 http lines (2 unchanged); 0 not replayable (no "
            "policy decision recorded); 0 other events; 0 bad lines\n"
            "not in a log: the client's MAC (groups match by address only) and the local time (rules with \"when\" do "
            "not match)\n"
            "changes (client host event: before -> after by rule (lines)):\n"
            "10.0.0.2 ads.example flow: intercept -> block by ads (2)\n"
            "10.0.0.2 ads.example http: allow -> block by ads (1)\n"
            "10.0.0.2 bank.example flow: block -> tunnel by banks (1)\n"
            "10.0.0.2 www.example http: block -> allow by default (1)\n"
            "10.0.0.3 x.ads.example flow: intercept -> block by ads (1)\n"
            "10.9.0.5 www.example http: allow -> block by lab (1)\n");
  const auto j = replay_json(s, "new.json");
  EXPECT_EQ(j["changes"][0].dump(),
            R"({"client":"10.0.0.2","host":"ads.example","event":"flow","before":"intercept","after":"block",)"
            R"("rule":"ads","count":2})");
  EXPECT_EQ(j["replayed"]["flow"], 5);
  EXPECT_EQ(j["unknown"].dump(), R"(["client_mac","local_time"])");
}

TEST(PolicyReplay, LinesWithoutAPolicyDecisionAreNotReplayed) {
  const std::string log =
      R"({"event":"flow","client":{"ip":"10.0.0.2","port":1},"server":{"ip":"10.0.0.1","port":443},"action":"reject","reason":"not_redirected"})"
      "\n" +
      http_line("10.0.0.2", "", R"("action":"block","reason":"no_host")") + "\n" +
      http_line("10.0.0.2", "ads.example", R"("action":"block","reason":"host_mismatch","rule":"banks")") + "\n" +
      http_line("10.0.0.2", "ads.example", R"("action":"onboard","reason":"policy","rule":"guests")") + "\n" +
      R"({"event":"policy_reload","ok":true})" "\n" R"({"event":"bypass"})" "\n\n   \n";
  const ReplaySummary s = run(log);
  EXPECT_EQ(s.lines, 6u) << "blank lines are not counted";
  EXPECT_EQ(s.not_replayed, 4u);
  EXPECT_EQ(s.other_events, 2u);
  EXPECT_EQ(s.flow_lines + s.http_lines + s.bad_lines, 0u);
  EXPECT_TRUE(s.changes.empty());
  EXPECT_NE(format_replay(s, "new.json").find("\nno changes\n"), std::string::npos);
}

TEST(PolicyReplay, BadLinesAreCountedAndTheFirstReported) {
  struct Case {
    std::string line;
    const char* error;
  };
  const Case cases[] = {
      {"not json at all", "not JSON"},
      {R"({"event":"flow")", "not JSON"},
      {"[1, 2]", "not a JSON object"},
      {std::string(100, '[') + std::string(100, ']'), "JSON nested too deep"},
      {R"({"flow_id": 1})", "no \"event\""},
      {R"({"event":"flow","server":{"ip":"10.0.0.1","port":443}})", "\"client\" is not {\"ip\", \"port\"}"},
      {R"({"event":"http","client":{"ip":"10.0.0.2","port":1},"server":{"ip":"10.0.0.1","port":70000}})",
       "\"server\" is not {\"ip\", \"port\"}"},
      {R"({"event":"flow","client":{"ip":"nope","port":1},"server":{"ip":"10.0.0.1","port":443}})",
       "\"client\" is not {\"ip\", \"port\"}"},
      {R"({"event":"flow","client":{"ip":"10.0.0.2","port":1},"server":{"ip":"10.0.0.1","port":443},"policy":"x"})",
       "\"policy\" is not {\"rule\", \"action\"}"},
      {R"({"event":"flow","client":{"ip":"10.0.0.2","port":1},"server":{"ip":"10.0.0.1","port":443},"policy":{"action":"allow"}})",
       "\"policy\" is not {\"rule\", \"action\"}"},
      {"{\"event\":\"flow\",\"sni\":\"\xff\"}", "not JSON"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const ReplaySummary s = run(c.line + "\n" + flow_line("10.0.0.2", "ads.example", "intercept"));
    EXPECT_EQ(s.bad_lines, 1u);
    ASSERT_EQ(s.first_bad.size(), 1u);
    EXPECT_EQ(s.first_bad[0].line, 1u);
    EXPECT_EQ(s.first_bad[0].error, c.error);
    EXPECT_EQ(s.changes.size(), 1u) << "the good line after it is still replayed";
  }
  std::string many;
  for (int i = 0; i < 8; ++i) many += "x\n";
  const ReplaySummary s = run(many + flow_line("10.0.0.2", "ads.example", "intercept"));
  EXPECT_EQ(s.bad_lines, 8u);
  EXPECT_EQ(s.first_bad.size(), max_reported_bad_lines);
  EXPECT_NE(format_replay(s, "new.json").find("bad line 5: not JSON\n(and 3 more bad lines)\n"), std::string::npos);
}

TEST(PolicyReplay, LinesAtEveryChunkBoundaryAndTooLongLines) {
  // A long line, cut where the reader's chunks end, and a last line without a newline.
  const std::string padding(70 * 1024, ' ');
  const std::string too_long = "\"" + std::string(max_replay_line_bytes, 'a') + "\"";
  const std::string log = flow_line("10.0.0.2", "ads.example", "intercept") + padding + "\r\n" + too_long + "\n" +
                          flow_line("10.0.0.2", "ads.example", "intercept");
  const ReplaySummary s = run(log);
  EXPECT_EQ(s.lines, 3u);
  EXPECT_EQ(s.flow_lines, 2u);
  EXPECT_EQ(s.bad_lines, 1u);
  ASSERT_EQ(s.first_bad.size(), 1u);
  EXPECT_EQ(s.first_bad[0].line, 2u);
  EXPECT_EQ(s.first_bad[0].error, "longer than 4 MiB");
  ASSERT_EQ(s.changes.size(), 1u);
  EXPECT_EQ(s.changes[0].count, 2u);
}

TEST(PolicyReplay, AFlowWithoutAHostIsDecidedByItsAddresses) {
  const std::string line =
      R"({"event":"flow","client":{"ip":"10.9.0.5","port":1},"server":{"ip":"192.0.2.10","port":80},"proto":"http",)"
      R"("action":"intercept","reason":"policy","policy":{"rule":"default","action":"intercept"}})";
  const ReplaySummary s = run(line);
  ASSERT_EQ(s.changes.size(), 1u);
  EXPECT_EQ(s.changes[0], (ReplayChange{"10.9.0.5", "", "flow", "intercept", "block", "lab", 1}));
  EXPECT_NE(format_replay(s, "n").find("10.9.0.5 (no host) flow: intercept -> block by lab (1)"), std::string::npos);
  EXPECT_TRUE(replay_json(s, "n")["changes"][0]["host"].is_null());
}

}  // namespace
}  // namespace tlsgate::policy

// `"mode": "log"`: a block rule that is evaluated and reported, never enforced.
#include <gtest/gtest.h>

#include <string>

#include "gateway/policy/lint.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/policy/policy_parse.hpp"

namespace tlsgate::policy {
namespace {

Policy with_rules(const std::string& rules, const char* default_action = "intercept") {
  return Policy::parse(std::string(R"({"default": ")") + default_action + R"(", "rules": [)" + rules + "]}", "p.json");
}

std::string first_error(const std::string& rules) {
  const auto parsed = parse_policy(R"({"default": "intercept", "rules": [)" + rules + "]}", "p.json");
  return parsed.errors.empty() ? "" : parsed.errors.front().where + ": " + parsed.errors.front().message;
}

Query query(const char* host, const char* client = "10.0.0.2") {
  Query q;
  if (host) q.hosts = {host};
  q.client = IpAddress::parse(client);
  q.server = IpAddress::parse("192.0.2.10");
  q.port = 443;
  return q;
}

TEST(PolicyLogMode, ParseErrors) {
  struct Case {
    const char* what;
    const char* rule;
    const char* error;
  };
  const Case cases[] = {
      {"log on block", R"({"host": "a.example", "action": "block", "mode": "log"})", ""},
      {"enforce spelled out", R"({"host": "a.example", "action": "tunnel", "mode": "enforce"})", ""},
      {"log on tunnel", R"({"host": "a.example", "action": "tunnel", "mode": "log"})",
       "p.json: rules[0].mode: \"log\" is for block rules (it logs would_block); this rule's action is \"tunnel\""},
      {"log on onboard", R"({"action": "onboard", "mode": "log"})",
       "p.json: rules[0].mode: \"log\" is for block rules (it logs would_block); this rule's action is \"onboard\""},
      {"unknown mode", R"({"action": "block", "mode": "dry-run"})",
       "p.json: rules[0].mode: must be \"enforce\" or \"log\" (evaluated and logged as would_block, never enforced)"},
      {"not a string", R"({"action": "block", "mode": true})",
       "p.json: rules[0].mode: must be \"enforce\" or \"log\" (evaluated and logged as would_block, never enforced)"},
      {"a bad mode does not hide a missing action", R"({"mode": "log"})", "p.json: rules[0]: \"action\" is required"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(first_error(c.rule), c.error);
  }
}

TEST(PolicyLogMode, MatchGoesOnAndNamesTheRuleThatWouldHaveBlocked) {
  const auto policy = with_rules(R"(
    {"name": "watch ads", "host": ["ads.example", "*.ads.example"], "action": "block", "mode": "log"},
    {"name": "banks", "host": ["bank.example", "ads.example"], "action": "tunnel"},
    {"name": "watch lab", "client": "10.9.0.0/16", "action": "block", "mode": "log"},
    {"name": "evil", "host": "evil.example", "action": "block"},
    {"host": "late.example", "action": "tunnel"},
    {"host": "late.example", "action": "block", "mode": "log"},
    {"host": "unnamed.example", "action": "block", "mode": "log"}
  )");
  EXPECT_TRUE(policy.has_log_rules());
  struct Case {
    const char* what;
    Query q;
    Action action;
    const char* rule;
    const char* would_block;  // nullptr: none
  };
  const Case cases[] = {
      {"a log rule never decides", query("x.ads.example"), Action::intercept, "default", "watch ads"},
      {"the enforced rule after it decides", query("ads.example"), Action::tunnel, "banks", "watch ads"},
      {"no log rule matches", query("www.example"), Action::intercept, "default", nullptr},
      {"a host-less log rule", query("www.example", "10.9.1.1"), Action::intercept, "default", "watch lab"},
      {"the first log rule is named", query("x.ads.example", "10.9.1.1"), Action::intercept, "default", "watch ads"},
      {"no would_block on a block", query("evil.example", "10.9.1.1"), Action::block, "evil", nullptr},
      {"a log rule after the deciding rule would not decide", query("late.example"), Action::tunnel, "rules[4]",
       nullptr},
      {"an unnamed log rule by its position", query("unnamed.example"), Action::intercept, "default", "rules[6]"},
      {"no host", query(nullptr), Action::intercept, "default", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Decision d = policy.match(c.q);
    EXPECT_EQ(d.action, c.action);
    EXPECT_EQ(d.rule, c.rule);
    EXPECT_EQ(d.would_block, c.would_block ? std::optional<std::string>(c.would_block) : std::nullopt);
  }
}

TEST(PolicyLogMode, NeverChangesWhatTheGatewayDoesWithoutAHost) {
  // host_can_matter decides waiting, resets of unidentified flows and no_host
  // refusals: a log rule must not cause any of them.
  const auto policy = with_rules(R"({"host": "ads.example", "action": "block", "mode": "log"},
                                    {"action": "onboard", "port": 80, "mode": "enforce"})");
  Query q = query(nullptr);
  EXPECT_FALSE(policy.host_can_matter(q));
  EXPECT_FALSE(policy.onboard_can_matter(q));
  EXPECT_EQ(policy.first_onboard(), "rules[1]");
  q.port = 80;
  EXPECT_TRUE(policy.onboard_can_matter(q));
  EXPECT_FALSE(with_rules("").has_log_rules());
}

TEST(PolicyLogMode, HostListsInALogRule) {
  const std::string dir = ::testing::TempDir();
  const std::string list = dir + "/log_mode_ads.txt";
  FILE* f = std::fopen(list.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("# ads\nads.example\n0.0.0.0 tracker.example\n", f);
  std::fclose(f);
  const auto policy = with_rules(R"({"name": "list", "host_list": ")" + list + R"(", "action": "block", "mode": "log"})");
  EXPECT_EQ(policy.match(query("tracker.example")).would_block, "list");
  EXPECT_EQ(policy.match(query("tracker.example")).action, Action::intercept);
  EXPECT_EQ(policy.list_names(), 2u);
  std::remove(list.c_str());
}

TEST(PolicyLogMode, LintedButShadowsNothing) {
  const auto lint_rules = [](const std::string& rules) {
    std::string out;
    for (const auto& f : lint(R"({"default": "intercept", "rules": [)" + rules + "]}", "p.json"))
      out += f.where + ": " + f.message + "\n";
    return out;
  };
  EXPECT_EQ(lint_rules(R"({"action": "block", "mode": "log"}, {"host": "a.example", "action": "tunnel"})"), "")
      << "a catch-all log rule does not make later rules unreachable";
  EXPECT_EQ(lint_rules(R"({"host": "a.example", "action": "tunnel"}, {"host": "a.example", "action": "block", "mode": "log"})"),
            "p.json: rules[1]: unreachable: every host it names is decided first by rules[0]\n")
      << "a log rule after one that decides its hosts would never report";
  EXPECT_EQ(lint_rules(R"({"host": ["a.example", "a.example"], "action": "block", "mode": "log"})"),
            "p.json: rules[0].host[1]: duplicate host: \"a.example\" is already matched by host[0] of this rule\n");
  EXPECT_EQ(lint_rules(R"({"host": "a.example", "action": "tunnel", "mode": "log"})"),
            "p.json: rules[0].mode: \"log\" is for block rules (it logs would_block); this rule's action is \"tunnel\"\n");
}

}  // namespace
}  // namespace tlsgate::policy

#include "gateway/policy/lint.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace tlsgate::policy {
namespace {

std::string text(const std::vector<LintFinding>& findings) {
  std::string out;
  for (const auto& f : findings)
    out += f.where + ": " + (f.severity == LintFinding::Severity::error ? "error: " : "warning: ") + f.message + "\n";
  return out;
}

std::string lint_rules(const std::string& rules) {
  return text(lint(R"({"default": "intercept", "rules": [)" + rules + "]}", "p.json"));
}

TEST(Lint, CleanPolicy) {
  EXPECT_EQ(lint_rules(R"({"name": "banks", "host": ["*.bank.example", "bank.example"], "action": "tunnel"},
                          {"host": "www.bank.example", "port": 8443, "action": "block"},
                          {"client": "10.0.0.0/8", "action": "tunnel"},
                          {"client": "10.0.0.0/8", "host": "evil.example", "action": "block"},
                          {"client": "0.0.0.0/0", "action": "block"})"),
            "p.json: rules[1]: warning: unreachable: every host it names is decided first by rules[0] (\"banks\")\n"
            "p.json: rules[3]: warning: unreachable: rules[2] comes first and matches everything this rule does\n");
}

TEST(Lint, Onboard) {
  EXPECT_EQ(lint_rules(R"({"name": "guests", "client": "10.7.0.0/16", "port": 80, "action": "onboard"},
                          {"client": "10.7.0.0/16", "port": 80, "host": "a.example", "action": "block"})"),
            "p.json: rules[1]: warning: unreachable: rules[0] (\"guests\") comes first and matches everything this "
            "rule does\n");
  EXPECT_EQ(text(lint(R"({"default": "onboard", "rules": [{"action": "onboard!"}]})", "p.json")),
            "p.json: rules[0].action: error: must be \"intercept\", \"tunnel\", \"block\" or \"onboard\"\n");
}

TEST(Lint, Shadowed) {
  struct Case {
    const char* what;
    const char* rules;
    const char* findings;
  };
  const Case cases[] = {
      {"catch-all first", R"({"action": "tunnel"}, {"host": "a.example", "action": "block"})",
       "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does\n"},
      {"broader client first", R"({"client": "10.0.0.0/8", "action": "tunnel"},
                                  {"client": ["10.1.0.0/16", "10.2.0.0/16"], "port": 443, "action": "block"})",
       "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does\n"},
      {"narrower client first is fine", R"({"client": "10.1.0.0/16", "action": "tunnel"},
                                          {"client": "10.0.0.0/8", "action": "block"})",
       ""},
      {"port range covers", R"({"port": "1-1024", "action": "tunnel"}, {"port": [80, 443], "action": "block"})",
       "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does\n"},
      {"port range partly", R"({"port": "1-1024", "action": "tunnel"}, {"port": [80, 8443], "action": "block"})", ""},
      {"hosts by two rules", R"({"name": "a", "host": "a.example", "action": "tunnel"},
                               {"name": "b", "host": "*.b.example", "action": "block"},
                               {"host": ["x.b.example", "a.example"], "action": "intercept"})",
       "p.json: rules[2]: warning: unreachable: every host it names is decided first by rules[0] (\"a\"), "
       "rules[1] (\"b\")\n"},
      {"host rule with a server matcher first", R"({"host": "a.example", "server": "192.0.2.0/24", "action": "block"},
                                                  {"host": "a.example", "action": "tunnel"})",
       ""},
      {"v6 group", R"({"client": "fd00::/8", "action": "tunnel"}, {"client": "fd00:1::/32", "action": "block"})",
       "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(lint_rules(c.rules), c.findings);
  }
}

TEST(Lint, DuplicateHosts) {
  EXPECT_EQ(lint_rules(R"({"host": ["a.example", "*.b.example", "A.example.", "x.y.b.example", "*.b.example"],
                          "action": "tunnel"},
                         {"host": ["a.example", "c.example"], "action": "block"})"),
            "p.json: rules[0].host[2]: warning: duplicate host: \"a.example\" is already matched by host[0] of this rule\n"
            "p.json: rules[0].host[3]: warning: duplicate host: \"x.y.b.example\" is already matched by host[1] of "
            "this rule\n"
            "p.json: rules[0].host[4]: warning: duplicate host: \"*.b.example\" is already matched by host[1] of "
            "this rule\n"
            "p.json: rules[1].host[0]: warning: duplicate host: \"a.example\" is already decided by rules[0] for "
            "the same or more clients, servers and ports\n");
}

TEST(Lint, PatternsThatNeverMatch) {
  EXPECT_EQ(lint_rules(R"({"host": ["*.", "a.*.com", "ok.example"], "action": "tunnel"},
                         {"host": ["*", "b\u00fccher.de"], "action": "block"})"),
            "p.json: rules[0].host[0]: warning: \"*.\" can never match: a wildcard needs a domain after \"*.\"\n"
            "p.json: rules[0].host[1]: warning: \"a.*.com\" can never match: '*' is only allowed as the whole "
            "first label, as in \"*.example.com\"\n"
            "p.json: rules[1].host[0]: warning: \"*\" can never match: \"*\" alone matches nothing: leave out "
            "\"host\" to match any host\n"
            "p.json: rules[1].host[1]: warning: \"b\xc3\xbc" "cher.de\" can never match: not ASCII: write an "
            "internationalized name as its A-label (xn--...), as SNI carries it\n"
            "p.json: rules[1]: warning: unreachable: none of its host patterns can match\n");
}

TEST(Lint, ErrorsComeFirstAndBrokenRulesAreSkipped) {
  const auto findings = lint(R"({"default": "intercept", "rules": [
    {"action": "tunnel", "client": "10.0.0.0/33"},
    {"host": "a.example", "action": "block"},
    {"host": "a.example", "action": "tunnel"}], "extra": 1})", "p.json");
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].severity, LintFinding::Severity::error);
  EXPECT_EQ(findings[0].where, "p.json: extra");  // object keys come sorted
  EXPECT_EQ(findings[1].severity, LintFinding::Severity::error);
  EXPECT_EQ(findings[1].where, "p.json: rules[0].client");
  EXPECT_EQ(findings[2].severity, LintFinding::Severity::warning);
  EXPECT_EQ(findings[2].where, "p.json: rules[2]");
}

TEST(Lint, SyntaxError) {
  const auto findings = lint("{\n  \"default\": intercept\n}", "p.json");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].where, "p.json:2:14");
  EXPECT_EQ(findings[0].message, "JSON syntax error: syntax error while parsing value - invalid literal; last read: "
                                 "'\"default\": i'");
}

TEST(Lint, HostListsAndGroups) {
  const std::string dir = testing::TempDir() + "/lint_test_";
  std::ofstream(dir + "ads.txt") << "0.0.0.0 a.example b.example\n||c.example^$popup\nbad!.example\n"
                                 << std::string(5000, 'x') << "\n";
  std::ofstream(dir + "copy.txt") << "b.example\na.example\n";
  std::ofstream(dir + "empty.txt") << "# nothing here\n";
  const std::string policy = R"({"default": "intercept",
    "groups": {"kids": {"clients": "10.0.0.0/28"}, "unused": {"macs": "aa:bb:cc:dd:ee:ff"}},
    "rules": [
      {"name": "ads", "host_list": ")" + dir + R"(ads.txt", "action": "block"},
      {"host_list": [")" + dir + R"(copy.txt", ")" + dir + R"(empty.txt"], "client_group": "kids", "action": "block"},
      {"host": "a.example", "host_list": ")" + dir + R"(copy.txt", "action": "tunnel"}
    ]})";
  const std::string l = dir;
  EXPECT_EQ(text(lint(policy, "p.json")),
            "p.json: rules[0].host_list: warning: " + l + "ads.txt: 1 invalid host name(s) skipped (first: " + l +
                "ads.txt:3)\n"
                "p.json: rules[0].host_list: warning: " + l + "ads.txt: 1 line(s) in another syntax skipped (of adblock "
                "rules only \"||name^\" is read) (first: " + l + "ads.txt:2)\n"
                "p.json: rules[0].host_list: warning: " + l + "ads.txt: 1 line(s) longer than 4096 bytes skipped (first: " +
                l + "ads.txt:4)\n"
                "p.json: rules[1].host_list[1]: warning: " + l + "empty.txt: empty after parsing: the list matches nothing\n"
                "p.json: rules[1].host_list[0]: warning: duplicate list: " + l + "copy.txt has the same entries as " + l +
                "ads.txt (rules[0] (\"ads\").host_list[0])\n"
                "p.json: rules[2].host_list[0]: warning: duplicate list: " + l + "copy.txt has the same entries as " + l +
                "ads.txt (rules[0] (\"ads\").host_list[0])\n"
                "p.json: groups.unused: warning: no rule uses this group (\"client_group\": \"unused\")\n");
  for (const char* f : {"ads.txt", "copy.txt", "empty.txt"}) std::remove((dir + f).c_str());
}

TEST(Lint, GroupsAndWindowsAreNotBroaderThanTheyAre) {
  // A rule for a group or a time window never hides a later rule without them.
  EXPECT_EQ(lint_rules(R"({"host": "a.example", "when": {"from": "21:00", "to": "07:00"}, "action": "block"},
                          {"host": "a.example", "action": "tunnel"},
                          {"when": {"days": "sat"}, "action": "block"},
                          {"action": "tunnel"})"),
            "");
  EXPECT_EQ(text(lint(R"({"default": "intercept", "groups": {"g": {"clients": "10.0.0.0/8"}}, "rules": [
                          {"client_group": "g", "action": "block"},
                          {"client_group": "g", "host": "a.example", "action": "tunnel"}]})", "p.json")),
            "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does\n");
}

}  // namespace
}  // namespace tlsgate::policy

namespace tlsgate::policy {
namespace {

TEST(Lint, RequestRules) {
  struct Case {
    const char* what;
    const char* rules;
    const char* findings;
  };
  const Case cases[] = {
      {"a path rule after the tunnel of its host",
       R"({"name": "bank", "host": "bank.example", "action": "tunnel"},
          {"host": "bank.example", "path": "/secret/*", "action": "block"})",
       "p.json: rules[1]: warning: unreachable: every host it names is decided first by rules[0] (\"bank\"): it "
       "tunnels the flow, whose requests are then never read\n"},
      {"a path rule after a block of its client",
       R"({"client": "10.0.0.0/8", "action": "block"}, {"client": "10.1.0.0/16", "path": "/x", "action": "allow"})",
       "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does: it blocks "
       "the flow before any request\n"},
      {"a path rule after an intercept of its host",
       R"({"host": "a.example", "action": "intercept"}, {"host": "a.example", "path": "/x", "action": "block"})",
       "p.json: rules[1]: warning: unreachable: every host it names is decided first by rules[0]\n"},
      {"a path rule before the block of its host is what it is for",
       R"({"host": "a.example", "path": "/public/*", "action": "allow"}, {"host": "a.example", "action": "block"})", ""},
      {"a path rule does not shadow a host rule",
       R"({"path": "/x", "action": "block"}, {"host": "a.example", "action": "tunnel"})", ""},
      {"a broader path rule shadows a narrower one",
       R"({"path": "/x/*", "action": "block"}, {"path": "/x/y", "method": "GET", "action": "allow"})",
       "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does\n"},
      {"other methods are not shadowed",
       R"({"path": "/x/*", "method": "POST", "action": "block"}, {"path": "/x/y", "action": "allow"})", ""},
      {"regexes are compared as written",
       R"({"path": {"regex": "^/a"}, "action": "block"}, {"path": {"regex": "^/a"}, "scheme": "http", "action": "block"},
          {"path": {"regex": "^/ab"}, "action": "block"})",
       "p.json: rules[1]: warning: unreachable: rules[0] comes first and matches everything this rule does\n"},
      {"a request rule under a default tunnel still applies (its hosts are intercepted)",
       R"({"host": "a.example", "path": "/x", "action": "block"})", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(lint_rules(c.rules), c.findings);
  }
  EXPECT_EQ(text(lint(R"({"default": "tunnel", "rules": [{"host": "a.example", "path": "/x", "action": "block"}]})",
                      "p.json")),
            "");
}

}  // namespace
}  // namespace tlsgate::policy

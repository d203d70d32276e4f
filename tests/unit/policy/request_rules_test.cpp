// Request rules in a policy: how they are read, and how match(),
// host_can_matter() and requests_can_matter() treat them.
#include <gtest/gtest.h>

#include "gateway/policy/policy.hpp"
#include "gateway/policy/policy_parse.hpp"

namespace tlsgate::policy {
namespace {

const char* const paths_policy = R"json({
  "default": "intercept",
  "rules": [
    {"name": "no secret", "host": "www.example.test", "path": ["/secret/*", "/secret"], "action": "block"},
    {"name": "no uploads", "method": ["POST", "PUT"], "path": {"regex": "^/upload(/|$)"}, "action": "block"},
    {"name": "public part", "host": "closed.example.test", "path": "/public/*", "action": "allow"},
    {"name": "closed", "host": "closed.example.test", "action": "block"},
    {"name": "plain only", "host": "plain.example.test", "scheme": "http", "action": "block"},
    {"name": "safe", "host": "video.example.test", "set_request_header": {"YouTube-Restrict": "Strict"},
     "remove_request_header": ["X-Debug"], "action": "intercept"},
    {"name": "bank", "host": "bank.example.test", "action": "tunnel"}
  ]
})json";

Query handshake(const char* host) {
  Query q;
  if (host) q.hosts = {host};
  q.client = IpAddress::parse("10.0.0.2");
  q.server = IpAddress::parse("192.0.2.10");
  q.port = 443;
  return q;
}

Query request(const char* host, const char* target, const char* method = "GET", const char* scheme = "https") {
  Query q = handshake(host);
  q.request = RequestFields{request_path(target), method, scheme};
  return q;
}

class RequestRules : public ::testing::Test {
 protected:
  Policy policy = Policy::parse(paths_policy, "paths.json");
};

TEST_F(RequestRules, NeverMatchAHandshake) {
  EXPECT_EQ(policy.match(handshake("www.example.test")).rule, "default");
  EXPECT_EQ(policy.match(handshake("closed.example.test")).rule, "closed");
  EXPECT_EQ(policy.match(handshake("plain.example.test")).rule, "default");
  EXPECT_EQ(policy.match(handshake("video.example.test")).rule, "safe") << "header edits alone: a host rule";
}

TEST_F(RequestRules, DecideRequestsFirstMatchFirst) {
  struct Case {
    const char* host;
    const char* target;
    const char* method;
    const char* scheme;
    const char* rule;
    Action action;
  };
  const Case cases[] = {
      {"www.example.test", "/secret/", "GET", "https", "no secret", Action::block},
      {"www.example.test", "/secret", "GET", "https", "no secret", Action::block},
      {"www.example.test", "/secret/x?y=1", "GET", "https", "no secret", Action::block},
      {"www.example.test", "//secret/x", "GET", "https", "no secret", Action::block},
      {"www.example.test", "/%73ecret/", "GET", "https", "no secret", Action::block},
      {"www.example.test", "/", "GET", "https", "default", Action::intercept},
      {"www.example.test", "/secretive", "GET", "https", "default", Action::intercept},
      {"other.example.test", "/secret/", "GET", "https", "default", Action::intercept},
      {"other.example.test", "/upload/a", "POST", "https", "no uploads", Action::block},
      {"other.example.test", "/upload", "PUT", "http", "no uploads", Action::block},
      {"other.example.test", "/upload/a", "GET", "https", "default", Action::intercept},
      {"other.example.test", "/uploads", "POST", "https", "default", Action::intercept},
      {"closed.example.test", "/public/a.css", "GET", "https", "public part", Action::intercept},
      {"closed.example.test", "/", "GET", "https", "closed", Action::block},
      {"plain.example.test", "/", "GET", "http", "plain only", Action::block},
      {"plain.example.test", "/", "GET", "https", "default", Action::intercept},
      {"video.example.test", "/watch", "GET", "https", "safe", Action::intercept},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.host) + " " + c.method + " " + c.scheme + " " + c.target);
    const Decision d = policy.match(request(c.host, c.target, c.method, c.scheme));
    EXPECT_EQ(d.rule, c.rule);
    EXPECT_EQ(d.action, c.action);
  }
}

TEST_F(RequestRules, HeaderEditsAreKeptInOrder) {
  const Rule& safe = policy.rules()[5];
  ASSERT_EQ(safe.header_edits.size(), 2u);
  EXPECT_EQ(safe.header_edits[0], (HeaderEdit{HeaderEdit::Kind::remove, "X-Debug", ""}));
  EXPECT_EQ(safe.header_edits[1], (HeaderEdit{HeaderEdit::Kind::set, "YouTube-Restrict", "Strict"}));
  EXPECT_TRUE(safe.decides_requests());
  EXPECT_FALSE(safe.is_request_rule());
}

TEST_F(RequestRules, MakeHostsMatterWhereTheyCouldApply) {
  EXPECT_TRUE(policy.host_can_matter(handshake(nullptr)));
  const auto only_requests = Policy::parse(
      R"({"default": "tunnel", "rules": [{"client": "10.9.0.0/16", "path": "/x", "action": "block"}]})", "p.json");
  EXPECT_FALSE(only_requests.host_can_matter(handshake(nullptr))) << "not for this client";
  auto nine = handshake(nullptr);
  nine.client = IpAddress::parse("10.9.0.1");
  EXPECT_TRUE(only_requests.host_can_matter(nine));
  const auto after_catch_all = Policy::parse(
      R"({"default": "tunnel", "rules": [{"action": "tunnel"}, {"path": "/x", "action": "block"}]})", "p.json");
  EXPECT_FALSE(after_catch_all.host_can_matter(handshake(nullptr))) << "a rule before it decides every request";
}

TEST_F(RequestRules, RequestsCanMatterForTheHostsTheyName) {
  const auto can = [&](const char* host) {
    const Query q = handshake(host);
    return policy.requests_can_matter(q, policy.match(q));
  };
  EXPECT_TRUE(can("www.example.test"));
  EXPECT_TRUE(can("closed.example.test")) << "rule 2 comes before the block";
  EXPECT_TRUE(can("bank.example.test")) << "the host-less upload rule comes before the tunnel";
  EXPECT_TRUE(can("other.example.test"));
  const auto narrow = Policy::parse(R"({"default": "intercept", "rules": [
      {"host": "bank.example.test", "action": "tunnel"},
      {"host": "www.example.test", "path": "/secret/*", "action": "block"},
      {"host": "*.video.example.test", "set_request_header": {"X-Safe": "1"}, "action": "allow"}]})", "p.json");
  const auto narrow_can = [&](const char* host) {
    const Query q = handshake(host);
    return narrow.requests_can_matter(q, narrow.match(q));
  };
  EXPECT_FALSE(narrow_can("bank.example.test"));
  EXPECT_TRUE(narrow_can("www.example.test"));
  EXPECT_FALSE(narrow_can("m.video.example.test")) << "the header rule decides the handshake itself (intercept)";
  EXPECT_TRUE(narrow.host_can_matter(handshake(nullptr))) << "its requests are held, to be edited";
  EXPECT_FALSE(narrow_can("video.example.test"));
  EXPECT_FALSE(narrow_can("other.example.test"));
}

std::string errors(const std::string& rule) {
  const auto parsed = parse_policy(R"({"default": "intercept", "rules": [)" + rule + "]}", "/etc/tlsgate/p.json");
  std::string out;
  for (const auto& e : parsed.errors) out += e.where + ": " + e.message + "\n";
  return out;
}

TEST(RequestRuleErrors, NameTheFileAndTheRule) {
  struct Case {
    std::string rule;
    const char* error;
  };
  const Case cases[] = {
      {R"({"path": {"regex": "(a"}, "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].path: not a valid RE2 regular expression: missing ): (a\n"},
      {R"({"path": ["/a", {"regex": "[z-a]"}], "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].path[1]: not a valid RE2 regular expression: invalid character class range: z-a\n"},
      {R"({"path": {"regex": "a", "x": 1}, "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].path: must be a path (\"/a/b\", \"/upload/*\") or {\"regex\": \"...\"}\n"},
      {R"({"path": "secret", "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].path: must start with '/', like \"/secret/\" or \"/upload/*\" (a regular "
       "expression: {\"regex\": \"...\"})\n"},
      {R"({"path": [], "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].path: must not be an empty list (leave the key out to match anything)\n"},
      {R"({"method": "get", "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].method: must be an HTTP method in capitals, like \"GET\" or \"POST\" (methods are "
       "case-sensitive)\n"},
      {R"({"scheme": "ftp", "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].scheme: must be \"http\" (HTTP ports) or \"https\" (intercepted TLS)\n"},
      {R"({"path": "/x", "action": "tunnel"})",
       "/etc/tlsgate/p.json: rules[0].action: a request cannot be tunnelled: a request rule's action is allow, block "
       "or onboard\n"},
      {R"({"path": "/x", "capture": true, "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].capture: is a setting of the whole flow: a request rule (path, method, scheme) "
       "cannot have it\n"},
      {R"({"host": "a.example", "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].action: \"allow\" is for rules that decide requests (path, method, scheme or "
       "header edits); write \"intercept\" for a whole flow\n"},
      {R"({"set_request_header": {"X-A": "1"}, "action": "block"})",
       "/etc/tlsgate/p.json: rules[0].action: header edits apply to requests that go upstream: the action must be "
       "allow, intercept or onboard\n"},
      {R"({"set_request_header": {"Host": "evil.example"}, "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].set_request_header.Host: Host frames or routes the request and cannot be "
       "changed\n"},
      {R"({"set_request_header": {"X-A": "1\r\nX-B: 2"}, "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].set_request_header.X-A: value of X-A holds a control character (CR, LF, NUL, "
       "...)\n"},
      {R"({"set_request_header": {"X-A": ")" + std::string(4097, 'a') + R"("}, "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].set_request_header.X-A: the value must be at most 4096 bytes\n"},
      {R"({"set_request_header": {"X-A": 1}, "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].set_request_header.X-A: must be a string\n"},
      {R"({"set_request_header": {"X-A": "1"}, "remove_request_header": "x-a", "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].set_request_header.X-A: is already edited by this rule\n"},
      {R"({"remove_request_header": ["Bad Name"], "action": "allow"})",
       "/etc/tlsgate/p.json: rules[0].remove_request_header[0]: header name Bad Name is not a token\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.rule);
    EXPECT_EQ(errors(c.rule), c.error);
  }
}

TEST(RequestRuleErrors, PolicyErrorCarriesThem) {
  try {
    Policy::parse(R"({"default": "intercept", "rules": [{"host": "a.example", "action": "intercept"},
                      {"path": {"regex": "a**"}, "action": "block"}]})", "p.json");
    FAIL() << "an invalid regex must not load";
  } catch (const PolicyError& e) {
    EXPECT_EQ(std::string(e.what()), "p.json: rules[1].path: not a valid RE2 regular expression: bad repetition "
                                     "operator: **");
  }
}

}  // namespace
}  // namespace tlsgate::policy

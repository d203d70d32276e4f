#include "gateway/policy/policy.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace tlsgate::policy {
namespace {

const char* const example_policy = R"({
  "default": "intercept",
  "rules": [
    {"name": "banks", "host": ["*.bank.example", "Pay.Example."], "action": "tunnel"},
    {"name": "staff", "client": ["10.9.0.0/16", "fd00:9::/32"], "action": "tunnel"},
    {"name": "malware", "host": ["evil.example", "*.evil.example"], "action": "block"},
    {"name": "alt-ports", "host": "*.shop.example", "port": [8443, "9000-9099"], "action": "block"},
    {"host": "db.example", "server": "192.0.2.0/24", "action": "tunnel"},
    {"name": "guests", "client": "10.7.0.0/16", "port": 443, "action": "block"},
    {"name": "guest-news", "host": "news.example", "client": "10.7.0.0/16", "action": "tunnel"}
  ]
})";

Query query(std::vector<std::string> hosts, const char* client = nullptr, const char* server = nullptr,
            std::optional<std::uint16_t> port = std::nullopt) {
  Query q;
  q.hosts = std::move(hosts);
  if (client) q.client = IpAddress::parse(client);
  if (server) q.server = IpAddress::parse(server);
  q.port = port;
  return q;
}

TEST(Policy, Decides) {
  const auto policy = Policy::parse(example_policy, "example.json");
  ASSERT_EQ(policy.rule_count(), 7u);
  struct Case {
    const char* what;
    Query q;
    Action action;
    const char* rule;
  };
  const Case cases[] = {
      {"wildcard, one level", query({"www.bank.example"}), Action::tunnel, "banks"},
      {"wildcard, two levels", query({"a.b.bank.example"}), Action::tunnel, "banks"},
      {"wildcard excludes the apex", query({"bank.example"}), Action::intercept, "default"},
      {"wildcard is not a string suffix", query({"mybank.example"}), Action::intercept, "default"},
      {"case and trailing dot", query({"WWW.BANK.EXAMPLE."}), Action::tunnel, "banks"},
      {"exact, normalized in the file", query({"pay.example"}), Action::tunnel, "banks"},
      {"exact is exact", query({"www.pay.example"}), Action::intercept, "default"},
      {"unknown host", query({}), Action::intercept, "default"},
      {"empty host", query({""}), Action::intercept, "default"},
      {"client group", query({"evil.example"}, "10.9.3.4"), Action::tunnel, "staff"},
      {"v4-mapped client", query({"evil.example"}, "::ffff:10.9.3.4"), Action::tunnel, "staff"},
      {"v6 client", query({"evil.example"}, "fd00:9::42"), Action::tunnel, "staff"},
      {"v6 client outside", query({"evil.example"}, "fd00:a::42"), Action::block, "malware"},
      {"exact block", query({"evil.example"}, "10.1.1.1"), Action::block, "malware"},
      {"wildcard block", query({"x.evil.example"}), Action::block, "malware"},
      {"port listed", query({"a.shop.example"}, nullptr, nullptr, 8443), Action::block, "alt-ports"},
      {"port range low end", query({"a.shop.example"}, nullptr, nullptr, 9000), Action::block, "alt-ports"},
      {"port range high end", query({"a.shop.example"}, nullptr, nullptr, 9099), Action::block, "alt-ports"},
      {"port outside", query({"a.shop.example"}, nullptr, nullptr, 443), Action::intercept, "default"},
      {"port unknown", query({"a.shop.example"}), Action::intercept, "default"},
      {"unnamed rule", query({"db.example"}, nullptr, "192.0.2.10"), Action::tunnel, "rules[4]"},
      {"server outside", query({"db.example"}, nullptr, "192.0.3.10"), Action::intercept, "default"},
      // rules[5] (host-less) comes before the indexed host rule rules[6]: order wins.
      {"host-less rule first", query({"news.example"}, "10.7.0.5", nullptr, 443), Action::block, "guests"},
      {"later host rule", query({"news.example"}, "10.7.0.5", nullptr, 8443), Action::tunnel, "guest-news"},
      // Several names (an upstream certificate): the earliest matching rule wins.
      {"certificate names", query({"x.example", "a.evil.example", "pay.example"}), Action::tunnel, "banks"},
      {"certificate wildcard", query({"*.bank.example"}), Action::tunnel, "banks"},
      {"certificate wildcard, apex", query({"*.example"}), Action::intercept, "default"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto d = policy.match(c.q);
    EXPECT_EQ(d.action, c.action);
    EXPECT_EQ(d.rule, c.rule);
    EXPECT_EQ(d.rule_index.has_value(), std::string(c.rule) != "default");
  }
}

TEST(Policy, FirstMatchWinsAmongIndexedRules) {
  const auto policy = Policy::parse(R"({"default": "tunnel", "rules": [
    {"host": "a.example.com", "port": 8443, "action": "block"},
    {"host": "*.example.com", "action": "intercept"},
    {"host": "a.example.com", "action": "tunnel"}]})", "t");
  EXPECT_EQ(policy.match(query({"a.example.com"}, nullptr, nullptr, 8443)).rule, "rules[0]");
  EXPECT_EQ(policy.match(query({"a.example.com"}, nullptr, nullptr, 443)).rule, "rules[1]");
  EXPECT_EQ(policy.match(query({"a.example.com"})).rule_index, 1u);
}

TEST(Policy, DefaultAndAllowAll) {
  EXPECT_EQ(Policy::parse(R"({"default": "block"})", "t").match(query({"x"})).action, Action::block);
  const auto all = Policy::allow_all(Action::tunnel);
  EXPECT_EQ(all.rule_count(), 0u);
  EXPECT_EQ(all.default_action(), Action::tunnel);
  const auto d = all.match(query({"x"}, "10.0.0.1"));
  EXPECT_EQ(d.action, Action::tunnel);
  EXPECT_EQ(d.rule, "default");
  EXPECT_FALSE(d.rule_index);
}

TEST(Policy, ActionNames) {
  for (const auto a : {Action::intercept, Action::tunnel, Action::block, Action::onboard})
    EXPECT_EQ(parse_action(to_string(a)), a);
  EXPECT_FALSE(parse_action("Tunnel"));
  EXPECT_FALSE(parse_action(""));
}

TEST(Policy, HostCanMatter) {
  const auto policy = Policy::parse(example_policy, "t");
  // Default intercept, and "banks" (tunnel, any address) comes first: the host matters.
  EXPECT_TRUE(policy.host_can_matter(query({}, "10.1.1.1", nullptr, 443)));
  // Staff are tunnelled before any rule that could look at the host... except "banks" tunnels too.
  EXPECT_FALSE(policy.host_can_matter(query({}, "10.9.1.1", nullptr, 443)));

  const auto simple = Policy::parse(R"({"default": "intercept", "rules": [
    {"client": "10.1.0.0/16", "action": "tunnel"},
    {"host": "*.example.com", "port": 8443, "action": "block"},
    {"host": "x.example.com", "action": "intercept"},
    {"host": "a.*.com", "action": "block"}]})", "t");
  EXPECT_FALSE(simple.host_can_matter(query({}, "10.1.2.3", nullptr, 8443)));  // decided by rules[0]
  EXPECT_TRUE(simple.host_can_matter(query({}, "10.2.2.3", nullptr, 8443)));   // rules[1] may block
  EXPECT_FALSE(simple.host_can_matter(query({}, "10.2.2.3", nullptr, 443)));   // rules[2] = default anyway
  EXPECT_FALSE(simple.host_can_matter(query({}, "10.2.2.3")));                 // port unknown
  EXPECT_FALSE(Policy::allow_all(Action::intercept).host_can_matter(query({})));
}

TEST(Policy, Onboard) {
  const auto policy = Policy::parse(R"({"default": "intercept", "rules": [
    {"name": "staff", "client": "10.9.0.0/16", "action": "intercept"},
    {"name": "guests", "port": 80, "action": "onboard"},
    {"name": "news", "host": "news.example", "port": 8080, "action": "onboard"}]})", "t");
  EXPECT_EQ(policy.first_onboard(), "rules[1]");
  const Decision d = policy.match(query({"a.example"}, "10.1.1.1", nullptr, 80));
  EXPECT_EQ(d.action, Action::onboard);
  EXPECT_EQ(d.rule, "guests");
  EXPECT_TRUE(policy.onboard_can_matter(query({}, "10.1.1.1", nullptr, 80)));
  EXPECT_FALSE(policy.onboard_can_matter(query({}, "10.9.1.1", nullptr, 80)));  // staff decide first
  EXPECT_TRUE(policy.onboard_can_matter(query({}, "10.1.1.1", nullptr, 8080)));  // news may
  EXPECT_FALSE(policy.onboard_can_matter(query({}, "10.1.1.1", nullptr, 443)));
  // For a whole flow onboard is intercept: a host rule that onboards does not make the host matter.
  EXPECT_FALSE(policy.host_can_matter(query({}, "10.1.1.1", nullptr, 8080)));

  EXPECT_TRUE(Policy::allow_all(Action::onboard).onboard_can_matter(query({})));
  EXPECT_EQ(Policy::allow_all(Action::onboard).first_onboard(), "default");
  EXPECT_FALSE(Policy::allow_all(Action::intercept).first_onboard());
  EXPECT_FALSE(Policy::allow_all(Action::intercept).onboard_can_matter(query({})));
}

TEST(Policy, Errors) {
  struct Case {
    const char* json;
    const char* message;  // the exact what()
  };
  const Case cases[] = {
      {R"({"rules": []})", "f.json: default: is required: \"intercept\", \"tunnel\", \"block\" or \"onboard\""},
      {R"({"default": "allow"})", "f.json: default: must be \"intercept\", \"tunnel\", \"block\" or \"onboard\""},
      {R"({"default": "block", "rule": []})", "f.json: rule: unknown key (known: default, groups, rules)"},
      {R"({"default": "block", "rules": {}})", "f.json: rules: must be a list of rules"},
      {R"([1])", "f.json: (top level): must be an object with \"default\" and \"rules\""},
      {R"({"default": "block", "rules": [{"host": "a"}]})", "f.json: rules[0]: \"action\" is required"},
      {R"({"default": "block", "rules": [{"action": "tunnel"}, 7]})",
       "f.json: rules[1]: must be an object with \"action\" and matchers (host, client, server, port)"},
      {R"({"default": "block", "rules": [{"action": "tunnel", "hosts": "a"}]})",
       "f.json: rules[0].hosts: unknown key (known: name, host, host_list, client, client_group, server, port, when, path, method, scheme, action, set_request_header, remove_request_header, capture, learn_bypass, mode, scan)"},
      {R"({"default": "block", "rules": [{"action": "tunnel"}, {"action": "tunnel", "host": ["a", ""]}]})",
       "f.json: rules[1].host[1]: must be a non-empty host name string, like \"www.example.com\" or \"*.example.com\""},
      {R"({"default": "block", "rules": [{"action": "tunnel", "host": []}]})",
       "f.json: rules[0].host: must not be an empty list (leave the key out to match anything)"},
      {R"({"default": "block", "rules": [{"action": "tunnel", "client": ["10.0.0.0/8", "10.0.0.300"]}]})",
       "f.json: rules[0].client[1]: must be an IPv4 or IPv6 address or CIDR without host bits, like \"10.0.0.0/8\" "
       "or \"fd00::/8\""},
      {R"({"default": "block", "rules": [{"action": "tunnel", "server": "fd00::1/8"}]})",
       "f.json: rules[0].server: must be an IPv4 or IPv6 address or CIDR without host bits, like \"10.0.0.0/8\" "
       "or \"fd00::/8\""},
      {R"({"default": "block", "rules": [{"action": "tunnel", "port": [443, "9000-8000"]}]})",
       "f.json: rules[0].port[1]: must be a port (1-65535) or a range string like \"8000-8999\" (low to high)"},
      {R"({"default": "block", "rules": [{"action": "tunnel", "port": 0}]})",
       "f.json: rules[0].port: must be a port (1-65535) or a range string like \"8000-8999\" (low to high)"},
      {R"({"default": "block", "rules": [{"action": "tunnel", "port": "65536"}]})",
       "f.json: rules[0].port: must be a port (1-65535) or a range string like \"8000-8999\" (low to high)"},
      {R"({"default": "block", "rules": [{"action": "tunnel", "name": 3}]})", "f.json: rules[0].name: must be a string"},
      {R"({"default": "block", "rules": [{"action": "tunnel", "port": [1, [2]]}, {"host": "a", "host": "b"}]})",
       "f.json: rules[1].host: duplicate key: only one of them would count (and 2 more; see tlsgate policy lint)"},
      {R"({"default": "block", "rules": [], "default": "tunnel"})",
       "f.json: default: duplicate key: only one of them would count"},
      {R"({"default": "block", "rules": [{"action": "pass"}, {"action": 1}]})",
       "f.json: rules[0].action: must be \"intercept\", \"tunnel\", \"block\" or \"onboard\" (and 1 more; see tlsgate policy lint)"},
      {"{\"default\": \"block\",\n  \"rules\": [\n    {\"action\": \"tunnel\",}\n  ]\n}",
       "f.json:3:25: JSON syntax error: syntax error while parsing object key - unexpected '}'; expected string "
       "literal"},
      {"", "f.json:1:1: JSON syntax error: syntax error while parsing value - unexpected end of input; expected "
           "'[', '{', or a literal"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    try {
      Policy::parse(c.json, "f.json");
      ADD_FAILURE() << "no error";
    } catch (const PolicyError& e) {
      EXPECT_EQ(std::string(e.what()), c.message);
    }
  }
}

TEST(Policy, NeverMatchingPatternsLoadButNeverMatch) {
  const auto policy = Policy::parse(R"({"default": "tunnel", "rules": [
    {"host": ["a.*.com", "*.", "*", "b\u00fccher.de"], "action": "block"}]})", "t");
  for (const char* host : {"a.*.com", "a.x.com", "*", "b\xc3\xbc" "cher.de", "x"})
    EXPECT_EQ(policy.match(query({host})).action, Action::tunnel) << host;
}

TEST(Policy, LoadFile) {
  const std::string path = testing::TempDir() + "/policy_test_load.json";
  std::ofstream(path) << example_policy;
  EXPECT_EQ(Policy::load_file(path).rule_count(), 7u);
  std::remove(path.c_str());
  try {
    Policy::load_file(path);
    ADD_FAILURE() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open the policy file");
  }
}

TEST(Policy, DeployExample) {
  const auto policy = Policy::load_file(std::string(TLSGATE_TEST_DATA_DIR) + "/../../deploy/policy.example.json");
  EXPECT_EQ(policy.match(query({"www.bank.example"}, "10.1.1.1", nullptr, 443)).rule, "banks-and-health");
  EXPECT_EQ(policy.match(query({"x.malware.example"}, "fd00:20::1", nullptr, 443)).rule, "never-intercept-staff");
}

// The examples of docs/policy.md, also in tests/data/policy/.
TEST(Policy, DocsExamples) {
  struct Case {
    const char* file;
    Query q;
    Action action;
  };
  const Case cases[] = {
      {"intercept_all_but_banks.json", query({"login.bank.example"}), Action::tunnel},
      {"intercept_all_but_banks.json", query({"bank.example"}), Action::tunnel},
      {"intercept_all_but_banks.json", query({"news.example"}), Action::intercept},
      {"intercept_one_host.json", query({"app.example.com"}), Action::intercept},
      {"intercept_one_host.json", query({"cdn.app.example.com"}), Action::tunnel},
      {"block_list.json", query({"x.y.ads.example"}), Action::block},
      {"block_list.json", query({"tracker.example"}), Action::block},
      {"block_list.json", query({"news.example"}), Action::tunnel},
      {"client_group_never_intercepted.json", query({"news.example"}, "10.0.5.9"), Action::tunnel},
      {"client_group_never_intercepted.json", query({"news.example"}, "::ffff:10.0.5.9"), Action::tunnel},
      {"client_group_never_intercepted.json", query({"news.example"}, "10.0.6.9"), Action::intercept},
      {"client_group_never_intercepted.json", query({"c2.malware.example"}, "10.0.5.9"), Action::block},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file + (" " + c.q.hosts[0]));
    EXPECT_EQ(Policy::load_file(std::string(TLSGATE_TEST_DATA_DIR) + "/policy/" + c.file).match(c.q).action, c.action);
  }
}

// 100,000 one-host rules plus wildcards: correctness only (timing is the benchmark's job).
TEST(Policy, HundredThousandRules) {
  constexpr int n = 100'000;
  std::string text = R"({"default": "intercept", "rules": [)";
  for (int i = 0; i < n; ++i) {
    const char* action = i % 3 == 0 ? "tunnel" : (i % 3 == 1 ? "block" : "intercept");
    const std::string host = i % 2 == 0 ? "host" + std::to_string(i) + ".example" : "*.zone" + std::to_string(i) + ".example";
    text += (i ? "," : "") + std::string(R"({"host": ")") + host + R"(", "action": ")" + action + R"("})";
  }
  text += "]}";
  const auto policy = Policy::parse(text, "big.json");
  ASSERT_EQ(policy.rule_count(), static_cast<std::size_t>(n));
  for (const int i : {0, 1, 2, 3, 4242, 50'001, 99'998, 99'999}) {
    SCOPED_TRACE(i);
    const std::string host = i % 2 == 0 ? "host" + std::to_string(i) + ".example" : "a.b.zone" + std::to_string(i) + ".example";
    const auto d = policy.match(query({host}));
    EXPECT_EQ(d.rule_index, static_cast<std::size_t>(i));
    EXPECT_EQ(d.action, i % 3 == 0 ? Action::tunnel : (i % 3 == 1 ? Action::block : Action::intercept));
  }
  EXPECT_EQ(policy.match(query({"host1.example"})).rule, "default");  // odd numbers are wildcards
  EXPECT_EQ(policy.match(query({"zone1.example"})).rule, "default");
  EXPECT_EQ(policy.match(query({"nothing.example"})).rule, "default");
}

}  // namespace
}  // namespace tlsgate::policy

namespace tlsgate::policy {
namespace {

TEST(Policy, CaptureTravelsWithTheDecision) {
  const Policy p = Policy::parse(R"({"default": "intercept", "rules": [
    {"name": "bank", "host": "bank.example", "action": "intercept", "capture": false},
    {"name": "lab", "host": "lab.example", "action": "intercept", "capture": true},
    {"name": "other", "host": "other.example", "action": "intercept"}]})", "f.json");
  Query q;
  q.hosts = {"bank.example"};
  EXPECT_EQ(p.match(q).capture, std::optional<bool>(false));
  q.hosts = {"lab.example"};
  EXPECT_EQ(p.match(q).capture, std::optional<bool>(true));
  q.hosts = {"other.example"};
  EXPECT_EQ(p.match(q).capture, std::nullopt);
  q.hosts = {"unknown.example"};
  EXPECT_EQ(p.match(q).capture, std::nullopt);
  EXPECT_THROW(Policy::parse(R"({"default": "tunnel", "rules": [{"action": "tunnel", "capture": "yes"}]})", "f.json"),
               PolicyError);
}

TEST(Policy, LearnBypassTravelsWithTheDecision) {
  const Policy p = Policy::parse(R"({"default": "intercept", "rules": [
    {"name": "bank", "host": "bank.example", "action": "intercept", "learn_bypass": false},
    {"name": "app", "host": "app.example", "action": "intercept", "learn_bypass": true},
    {"name": "other", "host": "other.example", "action": "intercept"}]})", "f.json");
  Query q;
  q.hosts = {"bank.example"};
  EXPECT_EQ(p.match(q).rule, "bank");
  EXPECT_FALSE(p.match(q).learn_bypass);
  q.hosts = {"app.example"};
  EXPECT_TRUE(p.match(q).learn_bypass);
  q.hosts = {"other.example"};
  EXPECT_TRUE(p.match(q).learn_bypass);
  q.hosts = {"unknown.example"};
  EXPECT_TRUE(p.match(q).learn_bypass);  // the default allows learning
  try {
    Policy::parse(R"({"default": "intercept", "rules": [{"action": "intercept", "learn_bypass": "no"}]})", "f.json");
    ADD_FAILURE() << "a non-boolean learn_bypass parsed";
  } catch (const PolicyError& e) {
    EXPECT_STREQ(e.what(), "f.json: rules[0].learn_bypass: must be true or false");
  }
}

}  // namespace
}  // namespace tlsgate::policy

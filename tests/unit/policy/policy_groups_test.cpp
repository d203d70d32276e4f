// Client groups (CIDR and MAC), time windows and host lists as rule matchers.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "gateway/policy/neighbour_table.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/policy/policy_parse.hpp"

namespace tlsgate::policy {
namespace {

const char* const home_policy = R"({
  "default": "intercept",
  "groups": {
    "kids": {"clients": ["10.0.0.0/28"], "macs": ["aa:bb:cc:dd:ee:01", "AA-BB-CC-DD-EE-02"]},
    "iot": {"macs": ["aa:bb:cc:dd:ee:10"]}
  },
  "rules": [
    {"name": "bedtime", "client_group": "kids", "when": {"days": ["sun", "mon", "tue", "wed", "thu"], "from": "21:00", "to": "07:00"}, "action": "block"},
    {"name": "kids-games", "client_group": "kids", "host": "*.games.example", "action": "block"},
    {"name": "iot", "client_group": "iot", "action": "tunnel"},
    {"name": "weekend-mornings", "when": {"days": ["sat", "sun"], "to": "12:00", "from": "08:00"}, "host": "news.example", "action": "tunnel"}
  ]
})";

std::optional<MinuteOfWeek> at(const char* text) { return parse_minute_of_week(text); }

Query query(const char* host, const char* client, const char* mac, const char* time) {
  Query q;
  if (host) q.hosts = {host};
  if (client) q.client = IpAddress::parse(client);
  if (mac) q.client_mac = MacAddress::parse(mac);
  if (time) q.local_time = at(time);
  return q;
}

TEST(PolicyGroups, Decide) {
  const auto policy = Policy::parse(home_policy, "home.json");
  EXPECT_TRUE(policy.uses_macs());
  struct Case {
    const char* what;
    Query q;
    const char* rule;
  };
  const Case cases[] = {
      {"kid by address, bedtime evening", query("x.example", "10.0.0.5", nullptr, "mon 21:00"), "bedtime"},
      {"kid by address, after midnight", query("x.example", "10.0.0.5", nullptr, "tue 06:59"), "bedtime"},
      {"bedtime ends at 07:00", query("x.example", "10.0.0.5", nullptr, "tue 07:00"), "default"},
      {"before bedtime", query("x.example", "10.0.0.5", nullptr, "mon 20:59"), "default"},
      {"friday night is not listed", query("x.example", "10.0.0.5", nullptr, "fri 23:00"), "default"},
      {"saturday morning after friday", query("x.example", "10.0.0.5", nullptr, "sat 03:00"), "default"},
      {"monday morning after sunday", query("x.example", "10.0.0.5", nullptr, "mon 03:00"), "bedtime"},
      {"thursday night runs into friday", query("x.example", "10.0.0.5", nullptr, "fri 06:00"), "bedtime"},
      {"no clock: the window does not match", query("x.example", "10.0.0.5", nullptr, nullptr), "default"},
      {"kid by MAC", query("a.games.example", "192.168.1.9", "aa:bb:cc:dd:ee:02", "mon 12:00"), "kids-games"},
      {"kid by MAC, bedtime", query("a.games.example", "192.168.1.9", "aa:bb:cc:dd:ee:01", "wed 22:00"), "bedtime"},
      {"unknown MAC", query("a.games.example", "192.168.1.9", "aa:bb:cc:dd:ee:03", "mon 12:00"), "default"},
      {"no MAC known", query("a.games.example", "192.168.1.9", nullptr, "mon 12:00"), "default"},
      {"outside the CIDR", query("a.games.example", "10.0.0.16", nullptr, "mon 12:00"), "default"},
      {"v4-mapped client", query("a.games.example", "::ffff:10.0.0.1", nullptr, "mon 12:00"), "kids-games"},
      {"IoT by MAC", query(nullptr, "10.0.1.50", "aa:bb:cc:dd:ee:10", nullptr), "iot"},
      {"window without group", query("news.example", "10.9.9.9", nullptr, "sun 08:00"), "weekend-mornings"},
      {"window end is exclusive", query("news.example", "10.9.9.9", nullptr, "sun 12:00"), "default"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(policy.match(c.q).rule, c.rule);
  }
}

TEST(PolicyGroups, HostCanMatterSeesGroupsAndWindows) {
  const auto policy = Policy::parse(R"({"default": "tunnel", "groups": {"kids": {"macs": ["aa:bb:cc:dd:ee:01"]}},
    "rules": [{"client_group": "kids", "host": "x.example", "action": "block"}]})", "p");
  EXPECT_TRUE(policy.host_can_matter(query(nullptr, "10.0.0.1", "aa:bb:cc:dd:ee:01", nullptr)));
  EXPECT_FALSE(policy.host_can_matter(query(nullptr, "10.0.0.1", "aa:bb:cc:dd:ee:02", nullptr)));
  EXPECT_FALSE(policy.host_can_matter(query(nullptr, "10.0.0.1", nullptr, nullptr)));
}

TEST(PolicyGroups, MacFromTheNeighbourTable) {
  const auto policy = Policy::parse(home_policy, "home.json");
  const NeighbourTable table({{*IpAddress::parse("192.168.1.9"), *MacAddress::parse("aa:bb:cc:dd:ee:01")},
                              {*IpAddress::parse("fe80::1"), *MacAddress::parse("aa:bb:cc:dd:ee:10")}});
  Query q = query("a.games.example", "::ffff:192.168.1.9", nullptr, "mon 12:00");
  q.client_mac = table.find(*q.client);
  EXPECT_EQ(policy.match(q).rule, "kids-games");
  q.client = IpAddress::parse("192.168.1.10");
  q.client_mac = table.find(*q.client);
  EXPECT_FALSE(q.client_mac);
  EXPECT_EQ(policy.match(q).rule, "default");
}

TEST(PolicyGroups, Errors) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"default": "block", "rules": [{"client_group": "kids", "action": "tunnel"}]})",
       "f.json: rules[0].client_group: no group \"kids\" in \"groups\""},
      {R"({"default": "block", "groups": {"a": {"clients": "10.0.0.0/8"}}, "rules": [{"client_group": "b", "action": "tunnel"}]})",
       "f.json: rules[0].client_group: no group \"b\" in \"groups\" (known: a)"},
      {R"({"default": "block", "groups": {"a": {"macs": ["aa:bb:cc:dd:ee"]}}, "rules": [{"client_group": "a", "action": "tunnel"}]})",
       "f.json: groups.a.macs[0]: must be a MAC address like \"aa:bb:cc:dd:ee:ff\""},
      {R"({"default": "block", "groups": {"a": {}}, "rules": []})",
       "f.json: groups.a: must be an object with \"clients\" (addresses or CIDRs) and/or \"macs\""},
      {R"({"default": "block", "groups": {"a": {"client": "10.0.0.1"}}, "rules": []})",
       "f.json: groups.a.client: unknown key (known: clients, macs)"},
      {R"({"default": "block", "groups": [], "rules": []})",
       "f.json: groups: must be an object of named groups, like {\"kids\": {\"clients\": [...]}}"},
      {R"({"default": "block", "rules": [{"when": {"from": "21:00"}, "action": "tunnel"}]})",
       "f.json: rules[0].when: \"from\" and \"to\" go together (leave both out for the whole day)"},
      {R"({"default": "block", "rules": [{"when": {"from": "21:00", "to": "21:00"}, "action": "tunnel"}]})",
       "f.json: rules[0].when: \"from\" and \"to\" must differ (leave both out for the whole day)"},
      {R"({"default": "block", "rules": [{"when": {"from": "25:00", "to": "21:00"}, "action": "tunnel"}]})",
       "f.json: rules[0].when.from: must be a local time \"HH:MM\", 00:00 to 24:00"},
      {R"({"default": "block", "rules": [{"when": {"days": ["monday"]}, "action": "tunnel"}]})",
       "f.json: rules[0].when.days[0]: must be a day: mon, tue, wed, thu, fri, sat or sun"},
      {R"({"default": "block", "rules": [{"when": {"day": "mon"}, "action": "tunnel"}]})",
       "f.json: rules[0].when.day: unknown key (known: days, from, to)"},
      {R"({"default": "block", "rules": [{"when": {}, "action": "tunnel"}]})",
       "f.json: rules[0].when: must be an object with \"days\" and/or \"from\" and \"to\", like {\"from\": \"21:00\", \"to\": \"07:00\"}"},
      {R"({"default": "block", "rules": [{"host_list": "", "action": "tunnel"}]})",
       "f.json: rules[0].host_list: must be the path of a host list file (relative paths start at the policy file's directory)"},
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

// Lists come from the loader: here from memory, keyed by path.
HostListLoader memory_lists(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path, HostListLimits limits) {
    const auto it = files.find(path);
    if (it == files.end()) throw PolicyError(path + ": cannot open the host list (No such file or directory)");
    std::size_t line = 0;
    auto list = parse_host_list(it->second, path, limits, &line);
    if (!list) throw PolicyError(path + ":" + std::to_string(line) + ": too many");
    return *list;
  };
}

TEST(PolicyHostLists, MatchBesideHostsAndKeepRuleOrder) {
  const auto parsed = parse_policy(R"({"default": "intercept", "rules": [
      {"name": "allow", "host": "ok.ads.example", "action": "tunnel"},
      {"name": "ads", "host": "extra.example", "host_list": ["lists/ads.txt", "/abs/more.txt"], "action": "block"}]})",
                                   "/etc/tlsgate/policy.json",
                                   memory_lists({{"/etc/tlsgate/lists/ads.txt", "||ads.example^\n0.0.0.0 t.example\n"},
                                                 {"/abs/more.txt", "*.more.example\n"}}));
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].message;
  std::vector<Rule> rules;
  for (auto& r : parsed.rules) rules.push_back(*r);
  const Policy policy(std::move(rules), parsed.default_action);
  EXPECT_EQ(policy.list_names(), 3u);
  for (const char* host : {"ads.example", "x.y.ads.example", "T.example.", "a.more.example", "extra.example"})
    EXPECT_EQ(policy.match(query(host, nullptr, nullptr, nullptr)).rule, "ads") << host;
  for (const char* host : {"more.example", "x.t.example", "ads.example.org"})
    EXPECT_EQ(policy.match(query(host, nullptr, nullptr, nullptr)).rule, "default") << host;
  EXPECT_EQ(policy.match(query("ok.ads.example", nullptr, nullptr, nullptr)).rule, "allow");
  EXPECT_TRUE(policy.host_can_matter(Query{}));
}

TEST(PolicyHostLists, BrokenListNamesTheFile) {
  const auto parsed = parse_policy(R"({"default": "intercept", "rules": [{"host_list": "missing.txt", "action": "block"}]})",
                                   "/etc/p.json", memory_lists({}));
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].where, "/etc/p.json: rules[0].host_list");
  EXPECT_EQ(parsed.errors[0].message, "/etc/missing.txt: cannot open the host list (No such file or directory)");
}

TEST(PolicyHostLists, LoadFileReadsRelativeToThePolicy) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/policy_groups_test_list.txt") << "||blocked.example^\n";
  std::ofstream(dir + "/policy_groups_test.json")
      << R"({"default": "intercept", "rules": [{"name": "l", "host_list": "policy_groups_test_list.txt", "action": "block"}]})";
  const auto policy = Policy::load_file(dir + "/policy_groups_test.json");
  EXPECT_EQ(policy.match(query("www.blocked.example", nullptr, nullptr, nullptr)).rule, "l");
  std::remove((dir + "/policy_groups_test_list.txt").c_str());
  try {
    Policy::load_file(dir + "/policy_groups_test.json");
    ADD_FAILURE() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_NE(std::string(e.what()).find("policy_groups_test_list.txt: cannot open the host list"), std::string::npos)
        << e.what();
  }
  std::remove((dir + "/policy_groups_test.json").c_str());
}

}  // namespace
}  // namespace tlsgate::policy

// A rule's `scan` object in a policy file: parsed into the rule and its decisions, refused at
// load with the rule's path and the key, and only on rules that decrypt.
#include <gtest/gtest.h>

#include <string>

#include "gateway/policy/policy.hpp"

namespace tlsgate::policy {
namespace {

std::string policy_with(const std::string& rule) { return R"({"default": "intercept", "rules": [)" + rule + "]}"; }

TEST(PolicyScan, TravelsWithTheDecision) {
  const Policy p = Policy::parse(
      policy_with(R"({"name": "dl", "host": ["dl.example.test"], "action": "intercept",
                      "scan": {"service": "icap://127.0.0.1:1344/avscan", "max_bytes": 1024, "on_error": "allow"}})"),
      "test");
  Query q;
  q.hosts = {"dl.example.test"};
  const Decision d = p.match(q);
  ASSERT_TRUE(d.scan);
  EXPECT_EQ(d.scan->service.uri(), "icap://127.0.0.1:1344/avscan");
  EXPECT_EQ(d.scan->max_bytes, 1024u);
  EXPECT_EQ(d.scan->on_error, icap::ScanConfig::OnError::allow);
  q.hosts = {"other.example.test"};
  EXPECT_FALSE(p.match(q).scan);  // the default scans nothing
}

TEST(PolicyScan, RefusedAtLoadNamingTheKey) {
  struct Case {
    const char* name;
    std::string rule;
    std::string error;
  };
  const Case cases[] = {
      {"max_bytes", R"({"action": "intercept", "scan": {"service": "icap://127.0.0.1/avscan", "max_bytes": 0}})",
       "test: rules[0].scan.max_bytes: must be"},
      {"service", R"({"action": "intercept", "scan": {"service": "http://127.0.0.1/avscan"}})",
       "test: rules[0].scan.service: "},
      {"unknown key", R"({"action": "intercept", "scan": {"service": "icap://127.0.0.1/x", "mode": 1}})",
       "test: rules[0].scan.mode: "},
      {"not an object", R"({"action": "intercept", "scan": true})", "test: rules[0].scan"},
      {"tunnel", R"({"action": "tunnel", "scan": {"service": "icap://127.0.0.1/avscan"}})",
       "test: rules[0].scan: needs action \"intercept\""},
      {"block", R"({"action": "block", "scan": {"service": "icap://127.0.0.1/avscan"}})",
       "test: rules[0].scan: needs action \"intercept\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      Policy::parse(policy_with(c.rule), "test");
      ADD_FAILURE() << "accepted";
    } catch (const PolicyError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.error, 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace tlsgate::policy

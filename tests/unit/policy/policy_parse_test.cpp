#include "gateway/policy/policy_parse.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tlsgate::policy {
namespace {

TEST(PolicyParse, DeepNestingIsOneClearErrorWithoutBuildingTheTree) {
  // 2 MB of nested arrays once took the parser to 6 GB of RSS.
  const std::string text = R"({"default": "tunnel", "rules": )" + std::string(2'000'000, '[');
  const auto parsed = parse_policy(text, "p.json");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].message, "JSON nested deeper than 8 levels");
  EXPECT_EQ(parsed.errors[0].where.rfind("p.json:1:", 0), 0u) << parsed.errors[0].where;
}

TEST(PolicyParse, OversizedFileIsRefused) {
  const std::string text = R"({"default": "tunnel", "rules": [], "x": ")" + std::string(max_policy_file_bytes, ' ') + "\"}";
  const auto parsed = parse_policy(text, "p.json");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_NE(parsed.errors[0].message.find("larger than 16 MiB"), std::string::npos);
}

TEST(PolicyParse, RealisticNestingIsAccepted) {
  const auto parsed = parse_policy(
      R"({"default": "tunnel", "rules": [{"host": ["a.example", "*.b.example"], "client": ["10.0.0.0/8"], "action": "block"}]})",
      "p.json");
  EXPECT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.rules.size(), 1u);
}

TEST(PolicyParse, NumberTooLargeIsAnError) {
  const auto parsed = parse_policy(R"({"default": "tunnel", "rules": [{"port": 1e999999, "action": "block"}]})", "p.json");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].where, "p.json");
  EXPECT_EQ(parsed.errors[0].message, "JSON error: number overflow parsing '1e999999'");
}

}  // namespace
}  // namespace tlsgate::policy

#include "gateway/daemon/flow_listing.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

using nlohmann::json;

FlowSnapshot flow(std::uint64_t id, double age, FlowPhase phase) {
  FlowSnapshot s;
  s.flow_id = id;
  s.client = {*IpAddress::parse("fd10:1::2"), 40000};
  s.server = {*IpAddress::parse("192.0.2.1"), 443};
  s.phase = phase;
  s.age_s = age;
  s.idle_s = age / 2;
  return s;
}

TEST(FlowsRequest, DefaultsWhenFieldsAreAbsent) {
  std::string error;
  const auto r = parse_flows_request(json{{"command", "flows"}}, error);
  ASSERT_TRUE(r.has_value()) << error;
  EXPECT_EQ(r->older_than, std::chrono::seconds(0));
  EXPECT_EQ(r->limit, 100u);
}

TEST(FlowsRequest, CapsTheLimit) {
  std::string error;
  const auto r = parse_flows_request(json{{"older_than_s", 30}, {"limit", 1'000'000}}, error);
  ASSERT_TRUE(r.has_value()) << error;
  EXPECT_EQ(r->older_than, std::chrono::seconds(30));
  EXPECT_EQ(r->limit, max_flows_listed);
}

TEST(FlowsRequest, RefusesWhatIsNotAWholeNumber) {
  const struct {
    const char* name;
    json request;
    const char* key;
  } cases[] = {
      {"negative age", {{"older_than_s", -1}}, "older_than_s"},
      {"text age", {{"older_than_s", "10"}}, "older_than_s"},
      {"fractional limit", {{"limit", 1.5}}, "limit"},
      {"null limit", {{"limit", nullptr}}, "limit"},
      {"absurd age", {{"older_than_s", 1'000'000'000}}, "older_than_s"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string error;
    EXPECT_FALSE(parse_flows_request(c.request, error).has_value());
    EXPECT_NE(error.find(c.key), std::string::npos) << error;
  }
}

TEST(FlowsReply, MergesTheWorkersOldestFirstWithinTheLimit) {
  FlowsGathered g;
  g.workers = 2;
  g.answered = 2;
  g.running = 7;
  g.older = 3;
  g.flows = {flow(1, 12.34, FlowPhase::relay), flow(2, 99.96, FlowPhase::connect), flow(3, 50, FlowPhase::decision)};
  const json reply = json::parse(flows_reply(g, 2));
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["workers"], 2);
  EXPECT_EQ(reply["answered"], 2);
  EXPECT_EQ(reply["running"], 7);
  EXPECT_EQ(reply["older"], 3);
  ASSERT_EQ(reply["flows"].size(), 2u);
  const json& first = reply["flows"][0];
  EXPECT_EQ(first["flow_id"], 2);
  EXPECT_EQ(first["phase"], "connect");
  EXPECT_DOUBLE_EQ(first["age_s"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(first["idle_s"].get<double>(), 50.0);
  EXPECT_EQ(first["client"]["ip"], "fd10:1::2");
  EXPECT_EQ(first["server"]["port"], 443);
  EXPECT_TRUE(first["host"].is_null());
  EXPECT_EQ(reply["flows"][1]["flow_id"], 3);
}

TEST(FlowsReply, AHostThatIsNotUtf8IsReplacedNotThrown) {
  FlowsGathered g;
  g.workers = g.answered = 1;
  g.flows = {flow(1, 1, FlowPhase::relay)};
  g.flows[0].host = std::string("bad\xff", 4);
  std::string line;
  ASSERT_NO_THROW(line = flows_reply(g, 10));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_TRUE(json::parse(line)["flows"][0]["host"].get<std::string>().starts_with("bad"));
}

}  // namespace
}  // namespace tlsgate

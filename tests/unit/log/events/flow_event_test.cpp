#include "gateway/log/events/flow_event.hpp"
#include "gateway/log/events/fields.hpp"

#include <gtest/gtest.h>

namespace tlsgate::log {
namespace {

TEST(EventFields, Rfc3339HasMicrosecondsAndZ) {
  using namespace std::chrono;
  const system_clock::time_point t{seconds(1'700'000'000) + microseconds(42)};
  EXPECT_EQ(rfc3339_utc(t), "2023-11-14T22:13:20.000042Z");
}

TEST(FlowEvent, JsonHasEveryRequiredFieldInOrder) {
  using namespace std::chrono;
  FlowRecord r;
  r.flow_id = 7;
  r.start_wall = system_clock::time_point{seconds(1'700'000'000)};
  r.start = steady_clock::time_point{seconds(100)};
  r.client = {*IpAddress::parse("128.232.110.120"), 34855};
  r.server = {*IpAddress::parse("66.35.250.204"), 80};
  r.proto = "http";
  r.verdict.action = FlowAction::tunnel;
  r.verdict.reason = EndReason::policy;
  r.verdict.rule = policy::Decision{policy::Action::tunnel, "plain web", 0, std::nullopt};
  r.from_client = 120;
  r.to_client = 4096;
  r.end.by = EndBy::client;
  r.hello = ClientHelloFacts{"www.example.test", "TLSv1.3", {"h2"}, "ja3", "ja4", false};

  const auto j = flow_json(r, r.start_wall + milliseconds(1500), r.start + microseconds(1'500'250));
  const std::string line = j.dump();
  EXPECT_EQ(line.rfind(R"({"event":"flow","ts":"2023-11-14T22:13:21.500000Z")", 0), 0u) << line;
  EXPECT_EQ(j["flow_id"], 7);
  EXPECT_EQ(j["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(j["client"]["ip"], "128.232.110.120");
  EXPECT_EQ(j["client"]["port"], 34855);
  EXPECT_EQ(j["server"]["port"], 80);
  EXPECT_EQ(j["proto"], "http");
  EXPECT_EQ(j["action"], "tunnel");
  EXPECT_EQ(j["reason"], "policy");
  EXPECT_EQ(j["bytes"]["from_client"], 120);
  EXPECT_EQ(j["bytes"]["to_client"], 4096);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1500.25);
  EXPECT_EQ(j["end"]["by"], "client");
  EXPECT_TRUE(j["end"]["error"].is_null());
  EXPECT_EQ(j["sni"], "www.example.test");
  EXPECT_EQ(j["policy"]["rule"], "plain web");
  EXPECT_EQ(j["policy"]["action"], "tunnel");
  EXPECT_FALSE(j["policy"].contains("would_block"));
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line per event";
}

TEST(FlowRecord, TheLogModeRuleThatWouldHaveBlockedIsInThePolicyObject) {
  policy::Decision d{policy::Action::intercept, "default", std::nullopt, std::nullopt};
  d.would_block = "watch ads";
  const auto j = policy_json(d);
  EXPECT_EQ(j.dump(), R"({"rule":"default","action":"intercept","would_block":"watch ads"})");
}

TEST(FlowRecord, EnumNamesAreStable) {
  EXPECT_EQ(to_string(EndReason::not_redirected), "not_redirected");
  EXPECT_EQ(to_string(EndReason::client_rejected_certificate), "client_rejected_certificate");
  EXPECT_EQ(to_string(FlowAction::reject), "reject");
  EXPECT_EQ(to_string(EndBy::shutdown), "shutdown");
}

TEST(FlowRecord, ParserErrorsReadAsClientHelloReasons) {
  EXPECT_EQ(reason_text(tls::ClientHelloError::bad_sni), "client_hello_bad_sni");
  EXPECT_EQ(reason_text(tls::ClientHelloError::too_large), "client_hello_too_large");
  EXPECT_EQ(reason_text(EndReason::not_tls), "not_tls");
}

TEST(FlowEvent, NoPolicyObjectWithoutADecision) {
  FlowRecord r;
  const auto j = flow_json(r, r.start_wall, r.start);
  EXPECT_FALSE(j.contains("policy"));
  EXPECT_EQ(j["reason"], "internal_error") << "a record nobody finished says so";
  EXPECT_EQ(j["action"], "reject") << "the one default for a flow cut short before a decision";
}

TEST(FlowRecord, TheEndsCauseIsTheReasonWhenItHasOne) {
  FlowRecord r;
  r.verdict.action = FlowAction::intercept;
  r.verdict.reason = EndReason::policy;
  EXPECT_EQ(flow_json(r, r.start_wall, r.start)["reason"], "policy");
  r.end = FlowEnd{EndBy::timeout, "no data for 300 s", EndReason::idle_timeout};
  const auto j = flow_json(r, r.start_wall, r.start);
  EXPECT_EQ(j["reason"], "idle_timeout");
  EXPECT_EQ(j["action"], "intercept") << "the verdict's action stays";
  EXPECT_EQ(j["end"]["by"], "timeout");
  EXPECT_EQ(j["end"]["error"], "no data for 300 s");
}

}  // namespace
}  // namespace tlsgate::log

// A `"mode": "log"` rule at the two decision points: it blocks nothing, changes
// no fallback, and the decision carries would_block for the flow line and the
// http event.
#include <gtest/gtest.h>

#include "gateway/flow/decision.hpp"
#include "gateway/flow/request_decision.hpp"

namespace tlsgate {
namespace {

const char* const watch_policy = R"({
  "default": "intercept",
  "rules": [
    {"name": "watch ads", "host": ["ads.example", "*.ads.example"], "action": "block", "mode": "log"},
    {"name": "bank", "host": "bank.example", "action": "tunnel"}
  ]
})";

FlowFacts facts(FlowKind kind, std::optional<std::string> sni, std::uint16_t port = 443) {
  FlowFacts f;
  f.client = *IpAddress::parse("10.0.0.2");
  f.server = {*IpAddress::parse("192.0.2.10"), port};
  f.kind = kind;
  f.http_port = port == 80;
  f.sni = std::move(sni);
  return f;
}

class LogMode : public ::testing::Test {
 protected:
  policy::Policy policy = policy::Policy::parse(watch_policy, "watch.json");
};

TEST_F(LogMode, AHandshakeGoesOnWithWouldBlock) {
  FlowFacts f = facts(FlowKind::tls, "x.ads.example");
  Verdict v = decide_flow(policy, f, {});
  EXPECT_EQ(v.response, Response::look_upstream);
  ASSERT_TRUE(v.flow.rule);
  EXPECT_EQ(v.flow.rule->rule, "default");
  EXPECT_EQ(v.flow.rule->would_block, "watch ads");
  f.upstream.state = UpstreamFacts::State::certificate;
  f.upstream.names = {"x.ads.example"};
  f.upstream.verified = true;
  v = decide_flow(policy, f, {});
  EXPECT_EQ(v.response, Response::intercept);
  EXPECT_EQ(v.flow.action, FlowAction::intercept);
  EXPECT_EQ(v.flow.rule->would_block, "watch ads");
  EXPECT_FALSE(decide_flow(policy, facts(FlowKind::tls, "www.example"), {}).flow.rule->would_block);
}

TEST_F(LogMode, ChangesNoFallback) {
  // Without a host, a log rule does not make the flow wait, reset it as unidentified, or hold its
  // requests; an enforced host rule (bank) does.
  const auto only_log = policy::Policy::parse(
      R"({"default": "intercept", "rules": [{"host": "ads.example", "action": "block", "mode": "log"}]})", "p.json");
  EXPECT_EQ(decide_flow(only_log, facts(FlowKind::not_tls, std::nullopt), {}).response, Response::tunnel);
  EXPECT_EQ(decide_flow(only_log, facts(FlowKind::incomplete, std::nullopt), {}).response, Response::tunnel);
  EXPECT_EQ(decide_flow(only_log, facts(FlowKind::plain, std::nullopt, 80), {}).response, Response::observe);
  EXPECT_EQ(decide_flow(only_log, facts(FlowKind::tls, std::nullopt), {}).response, Response::look_upstream)
      << "intercepted anyway: the upstream is contacted, as without the log rule";
  EXPECT_EQ(decide_flow(policy, facts(FlowKind::not_tls, std::nullopt), {}).response, Response::reset);
  policy::Query q;
  q.client = *IpAddress::parse("10.0.0.2");
  q.server = *IpAddress::parse("192.0.2.10");
  q.port = 80;
  EXPECT_EQ(decide_request(only_log, q, RequestPath::http_port, std::nullopt, std::nullopt).outcome,
            RequestOutcome::allow)
      << "no Host: only enforced host rules could refuse it";
}

TEST_F(LogMode, ARequestIsAllowedWithWouldBlock) {
  policy::Query q;
  q.client = *IpAddress::parse("10.0.0.2");
  q.server = *IpAddress::parse("192.0.2.10");
  q.port = 80;
  RequestVerdict v = decide_request(policy, q, RequestPath::http_port, std::nullopt, "Ads.Example:80");
  EXPECT_EQ(v.outcome, RequestOutcome::allow);
  ASSERT_TRUE(v.rule);
  EXPECT_EQ(v.rule->would_block, "watch ads");
  q.port = 443;
  v = decide_request(policy, q, RequestPath::intercepted_tls, policy.match(q), "a.ads.example");
  EXPECT_EQ(v.outcome, RequestOutcome::allow);
  EXPECT_EQ(v.rule->would_block, "watch ads");
  v = decide_request(policy, q, RequestPath::intercepted_tls, policy.match(q), "bank.example");
  EXPECT_EQ(v.outcome, RequestOutcome::misdirected);
  EXPECT_FALSE(v.rule->would_block);
}

}  // namespace
}  // namespace tlsgate

#include "gateway/flow/reload_decision.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

using Upstream = UpstreamFacts::State;

// The policies flows start under: one host rule, or none (then a flow without
// a known host may be tunnelled blind).
const char* const before = R"({"default": "intercept", "rules": [
  {"name": "bank", "host": "bank.example.test", "action": "tunnel"}]})";
const char* const no_host_rules = R"({"default": "intercept", "rules": []})";
const char* const blocks_www = R"({"default": "intercept", "rules": [
  {"name": "no www", "host": "www.example.test", "action": "block"},
  {"name": "bank", "host": "bank.example.test", "action": "tunnel"}]})";
const char* const blocks_bank = R"({"default": "intercept", "rules": [
  {"name": "no bank", "host": "bank.example.test", "action": "block"}]})";
const char* const tunnels_www = R"({"default": "intercept", "rules": [
  {"name": "leave www", "host": "www.example.test", "action": "tunnel"}]})";
const char* const blocks_server = R"({"default": "intercept", "rules": [
  {"name": "dark server", "server": "192.0.2.10/32", "action": "block"}]})";
const char* const blocks_elsewhere = R"({"default": "intercept", "rules": [
  {"name": "other server", "server": "198.51.100.0/24", "host": "www.example.test", "action": "block"}]})";

FlowFacts tls_facts(std::optional<std::string> sni, std::uint16_t port = 443) {
  FlowFacts f;
  f.client = *IpAddress::parse("10.0.0.2");
  f.server = {*IpAddress::parse("192.0.2.10"), port};
  f.kind = FlowKind::tls;
  f.sni = std::move(sni);
  return f;
}

// After the upstream showed a certificate (verified or not).
FlowFacts looked_upstream(FlowFacts f, std::vector<std::string> names, bool verified) {
  f.upstream.state = Upstream::certificate;
  f.upstream.names = std::move(names);
  f.upstream.verified = verified;
  return f;
}

FlowFacts without_hello(FlowKind kind, std::uint16_t port = 443) {
  FlowFacts f = tls_facts(std::nullopt, port);
  f.kind = kind;
  f.http_port = kind == FlowKind::plain && port == 80;
  return f;
}

struct Case {
  const char* what;
  FlowFacts facts;            // as the flow knew them when it was decided
  const char* old_policy;
  const char* new_policy;
  DecisionSettings settings;
  const char* closed_by;      // a part of the reason it is closed for; nullptr: kept
};

// The flow is decided with its old policy as carry_out() does (looking upstream when
// asked, then forgetting the certificate's names), then again after the reload.
std::optional<std::string> reload(const Case& c) {
  const auto old_policy = policy::Policy::parse(c.old_policy, "before.json");
  const Verdict ran = decide_flow(old_policy, c.facts, c.settings);
  EXPECT_TRUE(ran.response == Response::intercept || ran.response == Response::tunnel ||
              ran.response == Response::observe || ran.response == Response::decide_requests)
      << "the case must start with a running flow";
  FlowFacts kept = c.facts;
  kept.upstream.names.clear();
  const auto fresh = policy::Policy::parse(c.new_policy, "after.json");
  return refused_after_reload(fresh, kept, ran.flow, c.settings);
}

TEST(RefusedAfterReload, ClosesWhatTheNewPolicyRefusesAndKeepsTheRest) {
  DecisionSettings tunnel_unidentified;
  tunnel_unidentified.tunnel_unidentified = true;
  const FlowFacts www = looked_upstream(tls_facts("www.example.test"), {"www.example.test"}, true);
  const FlowFacts bank = tls_facts("bank.example.test");
  const FlowFacts www_no_sni = looked_upstream(tls_facts(std::nullopt), {"www.example.test"}, true);
  FlowFacts www_bypassed = www;
  www_bypassed.learned_bypass = true;
  FlowFacts plain_http = without_hello(FlowKind::plain, 80);
  const Case cases[] = {
      {"intercepted, its SNI now blocked", www, before, blocks_www, {}, "blocked by policy rule no www"},
      {"intercepted, another host blocked", looked_upstream(tls_facts("shop.example.test"), {"shop.example.test"}, true),
       before, blocks_www, {}, nullptr},
      {"intercepted, its host now tunnelled: cannot change mid-connection", www, before, tunnels_www, {}, nullptr},
      {"tunnelled by its rule, its SNI now blocked", bank, before, blocks_bank, {}, "blocked by policy rule no bank"},
      {"tunnelled by its rule, its host now intercepted: cannot change mid-connection", bank, before, blocks_www, {},
       nullptr},
      {"no SNI, intercepted by its verified name, that name now blocked", www_no_sni, before, blocks_www, {},
       "blocked by policy rule no www"},
      {"its server now blocked", www, before, blocks_server, {}, "blocked by policy rule dark server"},
      {"a host rule for another server", www, before, blocks_elsewhere, {}, nullptr},
      {"learned bypass with a proven host, that host now blocked", www_bypassed, before, blocks_www, {},
       "blocked by policy rule no www"},
      {"plain HTTP observed, its server now blocked", plain_http, before, blocks_server, {},
       "blocked by policy rule dark server"},
      {"plain HTTP observed, a host rule: the request gate decides its requests", plain_http, before, blocks_www, {}, nullptr},
      {"not TLS on 443, tunnelled blind: its server now blocked", without_hello(FlowKind::not_tls), no_host_rules,
       blocks_server, {},
       "blocked by policy rule dark server"},
      {"not TLS on 443, tunnelled blind: a host rule now could block it", without_hello(FlowKind::not_tls),
       no_host_rules, blocks_www, {}, "not tunnelled blind"},
      {"ClientHello too late, tunnelled blind: a host rule now could block it", without_hello(FlowKind::incomplete),
       no_host_rules, blocks_www, {}, "not tunnelled blind"},
      {"not TLS on 443 under unidentified: tunnel", without_hello(FlowKind::not_tls), before,
       blocks_www, tunnel_unidentified, nullptr},
      {"not TLS on 443, a host rule for another server", without_hello(FlowKind::not_tls), no_host_rules,
       blocks_elsewhere, {}, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto why = reload(c);
    if (!c.closed_by) {
      EXPECT_FALSE(why) << *why;
      continue;
    }
    ASSERT_TRUE(why);
    EXPECT_NE(why->find(c.closed_by), std::string::npos) << *why;
    EXPECT_EQ(why->rfind("policy reload: ", 0), 0u) << *why;
  }
}

TEST(RefusedAfterReload, StillLookingUpstreamItIsClosedWhenItsSniIsBlocked) {
  const auto fresh = policy::Policy::parse(blocks_www, "after.json");
  const FlowFacts looking = tls_facts("www.example.test");  // not contacted yet
  FlowVerdict intermediate;
  intermediate.action = FlowAction::intercept;
  intermediate.reason = EndReason::policy;
  EXPECT_TRUE(refused_after_reload(fresh, looking, intermediate, {}));
  EXPECT_FALSE(refused_after_reload(fresh, tls_facts("shop.example.test"), intermediate, {}))
      << "it decides with the current policy once the upstream answers";
}

TEST(RefusedAfterReload, FlowsThatAreNotRunningAreLeftToEnd) {
  const auto fresh = policy::Policy::parse(R"({"default": "block", "rules": []})", "block.json");
  const FlowFacts www = tls_facts("www.example.test");
  EXPECT_FALSE(refused_after_reload(fresh, www, FlowVerdict{}, {})) << "not decided yet: it asks the new policy itself";
  for (const FlowAction refused : {FlowAction::block, FlowAction::reject}) {
    FlowVerdict v;
    v.action = refused;
    EXPECT_FALSE(refused_after_reload(fresh, www, v, {})) << "already refused";
  }
  FlowVerdict running;
  running.action = FlowAction::tunnel;
  EXPECT_TRUE(refused_after_reload(fresh, www, running, {})) << "default block reaches running flows";
}

TEST(DecisionSettingsFromConfig, FollowTheConfig) {
  Config config;
  config.upstream_cert_error = UpstreamCertError::reject;
  config.http_inspect = false;
  config.unidentified = UnidentifiedFlow::tunnel;
  const DecisionSettings s = decision_settings(config);
  EXPECT_TRUE(s.reject_invalid_upstream);
  EXPECT_FALSE(s.http_inspect);
  EXPECT_TRUE(s.tunnel_unidentified);
  const DecisionSettings d = decision_settings(Config{});
  EXPECT_FALSE(d.reject_invalid_upstream);
  EXPECT_FALSE(d.tunnel_unidentified);
}

}  // namespace
}  // namespace tlsgate

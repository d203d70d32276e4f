#include "gateway/flow/decision.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

using Upstream = UpstreamFacts::State;

const char* const lab_policy = R"({
  "default": "intercept",
  "rules": [
    {"name": "no www", "host": "www.example.test", "action": "block"},
    {"name": "bank", "host": "bank.example.test", "action": "tunnel"},
    {"name": "dark server", "server": "192.0.2.66/32", "action": "block"},
    {"name": "no plain 8080", "port": 8080, "action": "block"}
  ]
})";

FlowFacts tls_facts(std::optional<std::string> sni, const char* server = "192.0.2.10", std::uint16_t port = 443) {
  FlowFacts f;
  f.client = *IpAddress::parse("10.0.0.2");
  f.server = {*IpAddress::parse(server), port};
  f.kind = FlowKind::tls;
  f.sni = std::move(sni);
  return f;
}

FlowFacts with_certificate(FlowFacts f, std::vector<std::string> names, bool verified) {
  f.upstream.state = Upstream::certificate;
  f.upstream.names = std::move(names);
  f.upstream.verified = verified;
  return f;
}

struct Case {
  const char* what;
  FlowFacts facts;
  bool reject_invalid;
  Response response;
  FlowAction action;
  EndReason reason;
  const char* rule;  // nullptr: no decision yet
};

TEST(DecideFlow, EveryPathGoesThroughThePolicy) {
  const auto policy = policy::Policy::parse(lab_policy, "lab.json");
  FlowFacts plain_http = tls_facts(std::nullopt, "192.0.2.10", 80);
  plain_http.kind = FlowKind::plain;
  plain_http.http_port = true;
  FlowFacts plain_8080 = plain_http;
  plain_8080.server.port = 8080;
  plain_8080.http_port = false;
  FlowFacts garbage = tls_facts(std::nullopt);
  garbage.kind = FlowKind::not_tls;
  FlowFacts garbage_to_dark = tls_facts(std::nullopt, "192.0.2.66");
  garbage_to_dark.kind = FlowKind::not_tls;
  FlowFacts stalled_to_dark = garbage_to_dark;
  stalled_to_dark.kind = FlowKind::incomplete;
  FlowFacts bypassed = tls_facts("shop.example.test");
  bypassed.learned_bypass = true;
  FlowFacts spdy_only = tls_facts("shop.example.test");
  spdy_only.alpn_observable = false;
  FlowFacts no_route = tls_facts(std::nullopt);
  no_route.upstream.state = Upstream::unreachable;
  no_route.upstream.connect_failure = EndReason::upstream_refused;
  FlowFacts broken_tls = tls_facts("shop.example.test");
  broken_tls.upstream.state = Upstream::handshake_failed;
  FlowFacts no_sni_broken_tls = tls_facts(std::nullopt);
  no_sni_broken_tls.upstream.state = Upstream::handshake_failed;
  FlowFacts spdy_broken = spdy_only;
  spdy_broken.upstream.state = Upstream::handshake_failed;
  FlowFacts stalled = garbage;
  stalled.kind = FlowKind::incomplete;
  FlowFacts upstream_spdy = with_certificate(tls_facts("shop.example.test"), {"shop.example.test"}, true);
  upstream_spdy.upstream.alpn_observable = false;
  FlowFacts upstream_spdy_unverified = upstream_spdy;
  upstream_spdy_unverified.upstream.verified = false;

  const Case cases[] = {
      {"plain HTTP, host rules could refuse a request: each request decided", plain_http, false,
       Response::decide_requests, FlowAction::intercept, EndReason::policy, "default"},
      {"plain port rule blocks", plain_8080, false, Response::reset, FlowAction::block, EndReason::policy,
       "no plain 8080"},
      {"not TLS on 443, host rules could matter: unidentified", garbage, false, Response::reset, FlowAction::reject,
       EndReason::unidentified, "default"},
      {"ClientHello never completed, host rules could matter: unidentified", stalled, false, Response::reset,
       FlowAction::reject, EndReason::unidentified, "default"},
      {"not TLS to a blocked server: blocked", garbage_to_dark, false, Response::reset, FlowAction::block,
       EndReason::policy, "dark server"},
      {"ClientHello never completed, blocked server: blocked", stalled_to_dark, false, Response::reset, FlowAction::block,
       EndReason::policy, "dark server"},
      {"SNI blocked", tls_facts("www.example.test"), false, Response::deny, FlowAction::block, EndReason::policy,
       "no www"},
      {"SNI tunnelled", tls_facts("bank.example.test"), false, Response::tunnel, FlowAction::tunnel, EndReason::policy,
       "bank"},
      {"SNI intercepted: look upstream first", tls_facts("shop.example.test"), false, Response::look_upstream,
       FlowAction::intercept, EndReason::policy, "default"},
      {"verified: intercept", with_certificate(tls_facts("shop.example.test"), {"shop.example.test"}, true), false,
       Response::intercept, FlowAction::intercept, EndReason::policy, "default"},
      {"lying SNI, unverified certificate names a blocked host: blocked",
       with_certificate(tls_facts("innocent.test"), {"www.example.test"}, false), false, Response::deny,
       FlowAction::block, EndReason::policy, "no www"},
      {"lying SNI, reject mode: still blocked, not rejected",
       with_certificate(tls_facts("innocent.test"), {"www.example.test"}, false), true, Response::deny,
       FlowAction::block, EndReason::policy, "no www"},
      {"invalid certificate, tunnel mode, host rules could matter: unidentified",
       with_certificate(tls_facts("shop.example.test"), {"shop.example.test"}, false), false, Response::reset,
       FlowAction::reject, EndReason::unidentified, "default"},
      {"lying SNI, unverified default certificate names neither: unidentified",
       with_certificate(tls_facts("innocent.test"), {"default.invalid"}, false), false, Response::reset,
       FlowAction::reject, EndReason::unidentified, "default"},
      {"no SNI, unverified names, tunnel mode: unidentified",
       with_certificate(tls_facts(std::nullopt), {"shop.example.test"}, false), false, Response::reset,
       FlowAction::reject, EndReason::unidentified, "default"},
      {"SNI tunnelled by its own rule, certificate never looked at: stays a tunnel",
       with_certificate(tls_facts("bank.example.test"), {"bank.example.test"}, false), false, Response::tunnel,
       FlowAction::tunnel, EndReason::policy, "bank"},
      {"invalid certificate, reject mode: rejected",
       with_certificate(tls_facts("shop.example.test"), {"shop.example.test"}, false), true, Response::bad_certificate,
       FlowAction::reject, EndReason::upstream_cert_invalid, "default"},
      {"verified certificate with a blocked SAN but a proven SNI: the SNI decides",
       with_certificate(tls_facts("shop.example.test"), {"shop.example.test", "www.example.test"}, true), false,
       Response::intercept, FlowAction::intercept, EndReason::policy, "default"},
      {"no SNI, host rules exist: look upstream", tls_facts(std::nullopt), false, Response::look_upstream,
       FlowAction::intercept, EndReason::policy, nullptr},
      {"no SNI, verified names tunnel", with_certificate(tls_facts(std::nullopt), {"bank.example.test"}, true), false,
       Response::tunnel, FlowAction::tunnel, EndReason::policy, "bank"},
      {"no SNI, verified names block", with_certificate(tls_facts(std::nullopt), {"www.example.test"}, true), false,
       Response::deny, FlowAction::block, EndReason::policy, "no www"},
      {"no SNI, unverified names that tunnel cannot escape reject",
       with_certificate(tls_facts(std::nullopt), {"bank.example.test"}, false), true, Response::bad_certificate, FlowAction::reject,
       EndReason::upstream_cert_invalid, "default"},
      {"no SNI, upstream unreachable: addresses decide, the connect failure resets", no_route, false,
       Response::reset, FlowAction::intercept, EndReason::upstream_refused, "default"},
      {"upstream handshake failed, host rules could matter: unidentified", broken_tls, false, Response::reset,
       FlowAction::reject, EndReason::unidentified, "default"},
      {"no SNI, upstream handshake failed: unidentified", no_sni_broken_tls, false, Response::reset,
       FlowAction::reject, EndReason::unidentified, "default"},
      {"learned bypass: the certificate is looked at before the tunnel", bypassed, false, Response::look_upstream,
       FlowAction::tunnel, EndReason::learned_bypass, "default"},
      {"learned bypass, names seen and not blocked: tunnel",
       with_certificate(bypassed, {"shop.example.test"}, true), false, Response::tunnel, FlowAction::tunnel,
       EndReason::learned_bypass, "default"},
      {"learned bypass, certificate unverified: unidentified", with_certificate(bypassed, {"shop.example.test"}, false),
       false, Response::reset, FlowAction::reject, EndReason::unidentified, "default"},
      {"learned bypass cannot carry a lying SNI to a blocked host",
       with_certificate(bypassed, {"www.example.test"}, false), false, Response::deny, FlowAction::block,
       EndReason::policy, "no www"},
      {"unobservable ALPN: the certificate is looked at first", spdy_only, false, Response::look_upstream,
       FlowAction::tunnel, EndReason::no_observable_alpn, "default"},
      {"unobservable ALPN with a lying SNI: blocked", with_certificate(spdy_only, {"www.example.test"}, false), false,
       Response::deny, FlowAction::block, EndReason::policy, "no www"},
      {"unobservable ALPN, certificate unverified: unidentified",
       with_certificate(spdy_only, {"shop.example.test"}, false), false, Response::reset, FlowAction::reject,
       EndReason::unidentified, "default"},
      {"unobservable ALPN, upstream handshake failed: unidentified", spdy_broken, false, Response::reset,
       FlowAction::reject, EndReason::unidentified, "default"},
      {"upstream selected a protocol the observers cannot read, verified: tunnel", upstream_spdy, false,
       Response::tunnel, FlowAction::tunnel, EndReason::no_observable_alpn, "default"},
      {"upstream selected a protocol the observers cannot read, unverified: unidentified", upstream_spdy_unverified,
       false, Response::reset, FlowAction::reject, EndReason::unidentified, "default"},
      {"unobservable ALPN, verified: tunnel", with_certificate(spdy_only, {"shop.example.test"}, true), false,
       Response::tunnel, FlowAction::tunnel, EndReason::no_observable_alpn, "default"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Verdict v = decide_flow(policy, c.facts, DecisionSettings{c.reject_invalid});
    EXPECT_EQ(v.response, c.response);
    EXPECT_EQ(v.flow.action, c.action);
    EXPECT_EQ(reason_text(v.flow.reason), to_string(c.reason));
    if (c.rule) {
      ASSERT_TRUE(v.flow.rule.has_value());
      EXPECT_EQ(v.flow.rule->rule, c.rule);
    } else {
      EXPECT_FALSE(v.flow.rule.has_value());
    }
  }
}

TEST(DecideFlow, LearnedBypassNeverOverridesABlock) {
  const auto policy = policy::Policy::parse(lab_policy, "lab.json");
  FlowFacts f = tls_facts("www.example.test");
  f.learned_bypass = true;
  EXPECT_EQ(decide_flow(policy, f, {}).response, Response::deny);
}

TEST(DecideFlow, LearnBypassFalseKeepsTheHostInspected) {
  const auto policy = policy::Policy::parse(R"({"default": "intercept", "rules": [
    {"name": "inspected", "host": "bank.example.test", "action": "intercept", "learn_bypass": false}]})",
                                            "inspected.json");
  FlowFacts bank = tls_facts("bank.example.test");
  bank.learned_bypass = true;  // an entry learned before the rule said so
  FlowFacts shop = tls_facts("shop.example.test");
  shop.learned_bypass = true;
  FlowFacts bank_spdy = tls_facts("bank.example.test");
  bank_spdy.alpn_observable = false;
  const Case cases[] = {
      {"learned entry, learn_bypass false: intercepted, upstream first", bank, false, Response::look_upstream,
       FlowAction::intercept, EndReason::policy, "inspected"},
      {"learned entry, learn_bypass false, verified: intercepted",
       with_certificate(bank, {"bank.example.test"}, true), false, Response::intercept, FlowAction::intercept,
       EndReason::policy, "inspected"},
      {"learned entry, another host: tunnel", with_certificate(shop, {"shop.example.test"}, true), false, Response::tunnel, FlowAction::tunnel,
       EndReason::learned_bypass, "default"},
      {"learn_bypass false does not make unobservable ALPN inspectable",
       with_certificate(bank_spdy, {"bank.example.test"}, true), false, Response::tunnel,
       FlowAction::tunnel, EndReason::no_observable_alpn, "inspected"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Verdict v = decide_flow(policy, c.facts, DecisionSettings{c.reject_invalid});
    EXPECT_EQ(v.response, c.response);
    EXPECT_EQ(v.flow.action, c.action);
    EXPECT_EQ(reason_text(v.flow.reason), to_string(c.reason));
    ASSERT_TRUE(v.flow.rule.has_value());
    EXPECT_EQ(v.flow.rule->rule, c.rule);
  }
}

TEST(DecideFlow, DowngradedTunnelsSkipTheLookWhenNoHostRuleCouldBlock) {
  const auto policy = policy::Policy::parse(R"({"default": "intercept", "rules": []})", "open.json");
  FlowFacts f = tls_facts("shop.example.test");
  f.alpn_observable = false;
  EXPECT_EQ(decide_flow(policy, f, {}).response, Response::tunnel);
  f.alpn_observable = true;
  f.learned_bypass = true;
  EXPECT_EQ(decide_flow(policy, f, {}).response, Response::tunnel);
}

// Every blind fallback of the table, for the settings tests below.
std::vector<FlowFacts> unidentified_flows() {
  FlowFacts garbage = tls_facts(std::nullopt);
  garbage.kind = FlowKind::not_tls;
  FlowFacts stalled = garbage;
  stalled.kind = FlowKind::incomplete;
  FlowFacts broken_tls = tls_facts("innocent.test");
  broken_tls.upstream.state = Upstream::handshake_failed;
  FlowFacts spdy_unverified = with_certificate(tls_facts("innocent.test"), {"default.invalid"}, false);
  spdy_unverified.alpn_observable = false;
  FlowFacts upstream_spdy = with_certificate(tls_facts("innocent.test"), {"default.invalid"}, false);
  upstream_spdy.upstream.alpn_observable = false;
  return {garbage,
          stalled,
          broken_tls,
          with_certificate(tls_facts("innocent.test"), {"default.invalid"}, false),
          with_certificate(tls_facts(std::nullopt), {"default.invalid"}, false),
          spdy_unverified,
          upstream_spdy};
}

TEST(DecideFlow, UnidentifiedTunnelIsTheOperatorsChoice) {
  const auto policy = policy::Policy::parse(lab_policy, "lab.json");
  DecisionSettings tunnel;
  tunnel.tunnel_unidentified = true;
  for (const FlowFacts& f : unidentified_flows()) {
    const Verdict reset = decide_flow(policy, f, {});
    EXPECT_EQ(reset.response, Response::reset);
    EXPECT_EQ(reason_text(reset.flow.reason), "unidentified");
    const Verdict v = decide_flow(policy, f, tunnel);
    EXPECT_EQ(v.response, Response::tunnel);
    EXPECT_NE(reason_text(v.flow.reason), "unidentified");
  }
}

TEST(DecideFlow, NoHostRuleCouldMatterNoUnidentified) {
  const auto open = policy::Policy::parse(R"({"default": "intercept", "rules": [
    {"name": "elsewhere", "server": "198.51.100.0/24", "host": "www.example.test", "action": "block"}]})", "open.json");
  for (const FlowFacts& f : unidentified_flows()) {
    const Verdict v = decide_flow(open, f, {});
    EXPECT_EQ(v.response, Response::tunnel) << "a host rule for another server cannot change this flow";
    EXPECT_NE(reason_text(v.flow.reason), "unidentified");
  }
}

TEST(DecideFlow, UnidentifiedKeepsTheNameItSaw) {
  const auto policy = policy::Policy::parse(lab_policy, "lab.json");
  FlowFacts f = tls_facts("innocent.test");
  f.upstream.state = Upstream::handshake_failed;
  using Host = std::optional<std::optional<std::string>>;
  EXPECT_EQ(decide_flow(policy, f, {}).flow.host, Host("innocent.test"));
}

TEST(DecideFlow, DefaultBlockReachesFlowsWithoutAHost) {
  const auto policy = policy::Policy::parse(R"({"default": "block", "rules": []})", "block.json");
  for (const FlowKind kind : {FlowKind::not_tls, FlowKind::incomplete, FlowKind::plain}) {
    FlowFacts f = tls_facts(std::nullopt);
    f.kind = kind;
    const Verdict v = decide_flow(policy, f, {});
    EXPECT_EQ(v.response, Response::reset) << "no ClientHello was read: no alert";
    ASSERT_TRUE(v.flow.rule.has_value());
    EXPECT_EQ(v.flow.rule->rule, "default");
  }
}

TEST(DecideFlow, NamesTheHostItUsed) {
  const auto policy = policy::Policy::parse(lab_policy, "lab.json");
  using Host = std::optional<std::optional<std::string>>;
  EXPECT_EQ(decide_flow(policy, tls_facts("bank.example.test"), {}).flow.host, Host("bank.example.test"));
  const auto late = decide_flow(policy, with_certificate(tls_facts(std::nullopt), {"bank.example.test"}, true), {});
  EXPECT_EQ(late.flow.host, Host("bank.example.test"));
  EXPECT_EQ(decide_flow(policy, tls_facts(std::nullopt), {}).flow.host, Host(std::in_place, std::nullopt))
      << "a TLS flow without a name says host: null";
  FlowFacts plain = tls_facts(std::nullopt, "192.0.2.10", 80);
  plain.kind = FlowKind::plain;
  EXPECT_EQ(decide_flow(policy, plain, {}).flow.host, Host()) << "a plain flow has no host field";
}

TEST(DecideFlow, RefusalsBeforeThePolicy) {
  const auto policy = policy::Policy::parse(R"({"default": "tunnel", "rules": []})", "open.json");
  FlowFacts stray = tls_facts("shop.example.test");
  stray.arrival = Arrival::not_redirected;
  Verdict v = decide_flow(policy, stray, {});
  EXPECT_EQ(v.response, Response::reset);
  EXPECT_EQ(v.flow.action, FlowAction::reject);
  EXPECT_EQ(reason_text(v.flow.reason), "not_redirected");
  EXPECT_NE(v.why.find("open proxy"), std::string::npos);

  FlowFacts lost = tls_facts(std::nullopt);
  lost.arrival = Arrival::no_original_destination;
  lost.detail = "Protocol not available";
  v = decide_flow(policy, lost, {});
  EXPECT_EQ(reason_text(v.flow.reason), "no_original_destination");
  EXPECT_EQ(v.why, "Protocol not available");

  FlowFacts broken = tls_facts(std::nullopt);
  broken.kind = FlowKind::malformed;
  broken.hello_error = tls::ClientHelloError::bad_sni;
  v = decide_flow(policy, broken, {});
  EXPECT_EQ(v.response, Response::reset);
  EXPECT_EQ(v.flow.action, FlowAction::reject);
  EXPECT_EQ(reason_text(v.flow.reason), "client_hello_bad_sni");

  FlowFacts gone = tls_facts(std::nullopt);
  gone.kind = FlowKind::closed_early;
  v = decide_flow(policy, gone, {});
  EXPECT_EQ(v.response, Response::none);
  EXPECT_EQ(reason_text(v.flow.reason), "client_closed_early");
}

TEST(DecideFlow, PlainHttpWithoutInspectionIsOnlyRelayed) {
  const auto policy = policy::Policy::parse(R"({"default": "intercept", "rules": []})", "open.json");
  FlowFacts plain = tls_facts(std::nullopt, "192.0.2.10", 80);
  plain.kind = FlowKind::plain;
  plain.http_port = true;
  DecisionSettings off;
  off.http_inspect = false;
  const Verdict v = decide_flow(policy, plain, off);
  EXPECT_EQ(v.response, Response::observe) << "still captured when pcap wants plain HTTP";
  EXPECT_EQ(v.flow.action, FlowAction::tunnel);
}

TEST(DecideFlow, OnboardIsInterceptForAFlow) {
  const auto policy = policy::Policy::parse(R"({"default": "tunnel", "rules": [
      {"name": "guests", "client": "10.0.0.0/24", "action": "onboard"}]})", "onboard.json");
  // TLS: no page can be shown to a client without the CA, so it is intercepted.
  Verdict v = decide_flow(policy, with_certificate(tls_facts("a.example.test"), {"a.example.test"}, true), {});
  EXPECT_EQ(v.response, Response::intercept);
  EXPECT_EQ(v.flow.action, FlowAction::intercept);
  EXPECT_EQ(v.flow.rule->rule, "guests");
  // Plain HTTP: observed, and each request is decided (the client's CA state picks redirect or forward).
  FlowFacts plain = tls_facts(std::nullopt, "192.0.2.10", 80);
  plain.kind = FlowKind::plain;
  plain.http_port = true;
  v = decide_flow(policy, plain, {});
  EXPECT_EQ(v.response, Response::decide_requests);
  EXPECT_EQ(v.flow.action, FlowAction::intercept);
  // Another client is tunnelled, unless failing clients go to the portal.
  plain.client = *IpAddress::parse("10.0.1.2");
  EXPECT_EQ(decide_flow(policy, plain, {}).response, Response::tunnel);
  DecisionSettings failing;
  failing.onboard_failing_clients = true;
  EXPECT_EQ(decide_flow(policy, plain, failing).response, Response::decide_requests);
}

TEST(DecideFlow, ProtoFollowsTheFacts) {
  FlowFacts f = tls_facts(std::nullopt);
  EXPECT_EQ(proto_of(f), "tls");
  f.kind = FlowKind::malformed;
  EXPECT_EQ(proto_of(f), "tls");
  f.kind = FlowKind::not_tls;
  EXPECT_EQ(proto_of(f), "unknown");
  f.kind = FlowKind::incomplete;
  EXPECT_EQ(proto_of(f), "unknown");
  f.kind = FlowKind::closed_early;
  EXPECT_EQ(proto_of(f), "tcp");
  f.kind = FlowKind::plain;
  EXPECT_EQ(proto_of(f), "tcp");
  f.http_port = true;
  EXPECT_EQ(proto_of(f), "http");
  f.arrival = Arrival::not_redirected;
  EXPECT_EQ(proto_of(f), "tcp");
}

// A forbidden original destination is refused before the policy, the hello
// and the upstream are looked at: no rule, host or learned bypass lets it through.
TEST(DecideFlow, ForbiddenDestinationIsRefusedWhateverElseIsKnown) {
  const auto policy = policy::Policy::parse(R"({
    "default": "tunnel",
    "rules": [{"name": "metadata", "server": "169.254.169.254/32", "action": "tunnel"}]
  })", "open.json");
  FlowFacts tls = tls_facts("metadata.example.test", "169.254.169.254");
  FlowFacts no_sni = tls_facts(std::nullopt, "169.254.169.254");
  FlowFacts http = tls_facts(std::nullopt, "127.0.0.1", 80);
  http.kind = FlowKind::plain;
  http.http_port = true;
  FlowFacts other_port = tls_facts(std::nullopt, "fe80::1", 22);
  other_port.kind = FlowKind::plain;
  FlowFacts bypassed = tls_facts("metadata.example.test", "169.254.169.254");
  bypassed.learned_bypass = true;
  FlowFacts verified = with_certificate(tls_facts(std::nullopt, "169.254.169.254"), {"ok.example.test"}, true);
  for (FlowFacts* f : {&tls, &no_sni, &http, &other_port, &bypassed, &verified}) {
    SCOPED_TRACE(f->server.ip.to_string() + ":" + std::to_string(f->server.port));
    f->forbidden_destination = true;
    const Verdict v = decide_flow(policy, *f, {});
    EXPECT_EQ(v.response, Response::reset);
    EXPECT_EQ(v.flow.action, FlowAction::reject);
    EXPECT_EQ(reason_text(v.flow.reason), "forbidden_destination");
    EXPECT_FALSE(v.flow.rule);
    EXPECT_NE(v.why.find(f->server.ip.to_string()), std::string::npos) << v.why;
  }
  // The same flow, not forbidden, goes where the policy says.
  tls.forbidden_destination = false;
  EXPECT_EQ(decide_flow(policy, tls, {}).response, Response::tunnel);
}

}  // namespace
}  // namespace tlsgate

namespace tlsgate {
namespace {

// Under "default": "block" a host rule that allows a name must reach requests on
// an HTTP port: the addresses alone do not decide, each request does.
TEST(DecideFlow, AnHttpPortWhereAHostRuleCouldAllowDecidesEachRequest) {
  const auto policy = policy::Policy::parse(
      R"({"default": "block", "rules": [{"name": "www", "host": "www.example.test", "action": "intercept"}]})",
      "closed.json");
  FlowFacts plain = tls_facts(std::nullopt, "192.0.2.10", 80);
  plain.kind = FlowKind::plain;
  plain.http_port = true;
  const Verdict v = decide_flow(policy, plain, {});
  EXPECT_EQ(v.response, Response::decide_requests);
  EXPECT_EQ(v.flow.action, FlowAction::intercept);
  plain.http_port = false;  // not HTTP: nothing to decide per request, the addresses decide
  EXPECT_EQ(decide_flow(policy, plain, {}).response, Response::reset);
}

}  // namespace
}  // namespace tlsgate

namespace tlsgate {
namespace {

// Request rules never match a handshake, but a flow whose host one of them
// could apply to is intercepted, so that its requests can be decided.
const char* const request_rules_policy = R"({
  "default": "intercept",
  "rules": [
    {"name": "no secret", "host": ["www.example.test", "bank.example.test"], "path": "/secret/*", "action": "block"},
    {"name": "public part", "host": "closed.example.test", "path": "/public/*", "action": "allow"},
    {"name": "closed", "host": "closed.example.test", "action": "block"},
    {"name": "bank", "host": ["bank.example.test", "other-bank.example.test"], "action": "tunnel"}
  ]
})";

TEST(DecideFlow, RequestRulesInterceptTheHostsTheyCouldApplyTo) {
  const auto policy = policy::Policy::parse(request_rules_policy, "requests.json");
  const auto verified = [](const char* sni) { return with_certificate(tls_facts(sni), {sni}, true); };
  struct RequestCase {
    const char* what;
    FlowFacts facts;
    Response response;
    FlowAction action;
    const char* rule;
  };
  FlowFacts closed_unverified = with_certificate(tls_facts("closed.example.test"), {"closed.example.test"}, false);
  FlowFacts closed_spdy = tls_facts("closed.example.test");
  closed_spdy.alpn_observable = false;
  FlowFacts closed_learned = verified("closed.example.test");
  closed_learned.learned_bypass = true;
  FlowFacts closed_broken = tls_facts("closed.example.test");
  closed_broken.upstream.state = Upstream::handshake_failed;
  const RequestCase cases[] = {
      {"allowed SNI, a path rule for it: intercepted", tls_facts("www.example.test"), Response::look_upstream,
       FlowAction::intercept, "default"},
      {"tunnelled SNI, a path rule for it: intercepted", tls_facts("bank.example.test"), Response::look_upstream,
       FlowAction::intercept, "bank"},
      {"... and intercepted once verified", verified("bank.example.test"), Response::intercept, FlowAction::intercept,
       "bank"},
      {"tunnelled SNI, no request rule for it: tunnel", tls_facts("other-bank.example.test"), Response::tunnel,
       FlowAction::tunnel, "bank"},
      {"blocked SNI with an allowed path: looks upstream", tls_facts("closed.example.test"), Response::look_upstream,
       FlowAction::intercept, "closed"},
      {"... intercepted once verified", verified("closed.example.test"), Response::intercept, FlowAction::intercept,
       "closed"},
      {"... blocked when the certificate does not verify", closed_unverified, Response::deny, FlowAction::block,
       "closed"},
      {"... blocked when the ALPN cannot be observed", closed_spdy, Response::deny, FlowAction::block, "closed"},
      {"... never tunnelled by a learned bypass", closed_learned, Response::intercept, FlowAction::intercept, "closed"},
      {"... blocked when the upstream TLS fails", closed_broken, Response::deny, FlowAction::block, "closed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Verdict v = decide_flow(policy, c.facts, {});
    EXPECT_EQ(v.response, c.response);
    EXPECT_EQ(v.flow.action, c.action);
    ASSERT_TRUE(v.flow.rule);
    EXPECT_EQ(v.flow.rule->rule, c.rule);
  }
}

TEST(DecideFlow, RequestRulesMakeAnHttpPortDecideEachRequest) {
  const auto policy = policy::Policy::parse(
      R"({"default": "tunnel", "rules": [{"host": "www.example.test", "path": "/secret/*", "action": "block"}]})",
      "requests.json");
  FlowFacts plain = tls_facts(std::nullopt, "192.0.2.10", 80);
  plain.kind = FlowKind::plain;
  plain.http_port = true;
  EXPECT_EQ(decide_flow(policy, plain, {}).response, Response::decide_requests);
  FlowFacts garbage = tls_facts(std::nullopt);
  garbage.kind = FlowKind::not_tls;
  EXPECT_EQ(decide_flow(policy, garbage, {}).flow.reason, FlowReason{EndReason::unidentified})
      << "a blind tunnel could reach the path the rule blocks";
}

}  // namespace
}  // namespace tlsgate

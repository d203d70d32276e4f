#include "gateway/flow/request_decision.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

const char* const shared_address_policy = R"({
  "default": "intercept",
  "rules": [
    {"name": "secret is blocked", "host": "secret.example.test", "action": "block"},
    {"name": "api is private", "host": "api.example.test", "action": "tunnel"},
    {"name": "shop is captured", "host": "shop.example.test", "action": "intercept", "capture": true},
    {"name": "dark server", "server": "192.0.2.66/32", "action": "block"}
  ]
})";

policy::Query addresses(const char* server = "192.0.2.10", std::uint16_t port = 443) {
  policy::Query q;
  q.client = *IpAddress::parse("10.0.0.2");
  q.server = *IpAddress::parse(server);
  q.port = port;
  return q;
}

class DecideRequest : public ::testing::Test {
 protected:
  policy::Policy policy = policy::Policy::parse(shared_address_policy, "shared.json");
  // The flow runs under the default rule (SNI default.example.test).
  std::optional<policy::Decision> flow_rule = policy.match([] {
    auto q = addresses();
    q.hosts = {"default.example.test"};
    return q;
  }());

  RequestVerdict in_tls(std::optional<std::string> authority) {
    return decide_request(policy, addresses(), RequestPath::intercepted_tls, flow_rule, authority);
  }
  RequestVerdict on_port_80(std::optional<std::string> authority) {
    return decide_request(policy, addresses("192.0.2.10", 80), RequestPath::http_port, std::nullopt, authority);
  }
};

TEST_F(DecideRequest, TheFlowsOwnHostIsAllowed) {
  const auto v = in_tls("default.example.test");
  EXPECT_EQ(v.outcome, RequestOutcome::allow);
  EXPECT_EQ(v.host, "default.example.test");
  ASSERT_TRUE(v.rule);
  EXPECT_EQ(v.rule->rule, "default");
}

TEST_F(DecideRequest, AFrontedBlockedHostIsBlockedByItsRule) {
  for (const char* authority : {"secret.example.test", "SECRET.Example.Test.", "secret.example.test:443",
                                "user@secret.example.test:8443"}) {
    const auto v = in_tls(authority);
    EXPECT_EQ(v.outcome, RequestOutcome::block) << authority;
    EXPECT_EQ(v.reason, RequestReason::policy) << authority;
    ASSERT_TRUE(v.rule) << authority;
    EXPECT_EQ(v.rule->rule, "secret is blocked") << authority;
    EXPECT_EQ(v.host, "secret.example.test") << authority;
  }
}

TEST_F(DecideRequest, ATunnelledHostInAnInterceptedFlowIsMisdirected) {
  const auto v = in_tls("api.example.test");
  EXPECT_EQ(v.outcome, RequestOutcome::misdirected);
  EXPECT_EQ(v.reason, RequestReason::host_mismatch);
  EXPECT_EQ(v.rule->rule, "api is private");
}

TEST_F(DecideRequest, AHostInterceptedWithOtherSettingsIsMisdirected) {
  const auto v = in_tls("shop.example.test");
  EXPECT_EQ(v.outcome, RequestOutcome::misdirected) << "its rule captures, the flow's does not";
  EXPECT_EQ(v.reason, RequestReason::host_mismatch);
}

TEST_F(DecideRequest, ARequestWithoutAHostIsBlockedWhereHostRulesMatter) {
  for (std::optional<std::string> authority : {std::optional<std::string>{}, std::optional<std::string>{""},
                                               std::optional<std::string>{":80"}, std::optional<std::string>{"[::1"}}) {
    const auto v = on_port_80(authority);
    EXPECT_EQ(v.outcome, RequestOutcome::block);
    EXPECT_EQ(v.reason, RequestReason::no_host);
    EXPECT_FALSE(v.rule);
  }
}

TEST_F(DecideRequest, WithoutHostRulesARequestWithoutAHostIsDecidedByAddress) {
  const auto open = policy::Policy::parse(R"({"default": "intercept", "rules": [
      {"name": "dark server", "server": "192.0.2.66/32", "action": "block"}]})",
                                          "open.json");
  auto v = decide_request(open, addresses("192.0.2.10", 80), RequestPath::http_port, std::nullopt, std::nullopt);
  EXPECT_EQ(v.outcome, RequestOutcome::allow);
  v = decide_request(open, addresses("192.0.2.66", 80), RequestPath::http_port, std::nullopt, std::nullopt);
  EXPECT_EQ(v.outcome, RequestOutcome::block);
  EXPECT_EQ(v.rule->rule, "dark server");
}

TEST_F(DecideRequest, OnAnHttpPortTunnelAndInterceptBothForward) {
  EXPECT_EQ(on_port_80("api.example.test").outcome, RequestOutcome::allow);
  EXPECT_EQ(on_port_80("shop.example.test").outcome, RequestOutcome::allow);
  EXPECT_EQ(on_port_80("default.example.test").outcome, RequestOutcome::allow);
  EXPECT_EQ(on_port_80("secret.example.test:80").outcome, RequestOutcome::block);
}

const char* const onboard_policy = R"({
  "default": "intercept",
  "rules": [
    {"name": "secret is blocked", "host": "secret.example.test", "action": "block"},
    {"name": "api is private", "host": "api.example.test", "action": "tunnel"},
    {"name": "guests onboard", "port": 80, "action": "onboard"}
  ]
})";

RequestVerdict onboard_request(const policy::Policy& policy, RequestPath path, std::uint16_t port,
                               const char* authority, ClientCa client) {
  return decide_request(policy, addresses("192.0.2.10", port), path, std::nullopt, std::string(authority), client);
}

TEST(DecideRequestOnboard, AnHttpPortRequestGoesToThePortalUntilTheClientsCaWorks) {
  const auto policy = policy::Policy::parse(onboard_policy, "onboard.json");
  using policy::CaState;
  struct Case {
    const char* what;
    RequestPath path;
    std::uint16_t port;
    const char* authority;
    CaState state;
    RequestOutcome outcome;
    const char* rule;
  };
  const Case cases[] = {
      {"unknown client", RequestPath::http_port, 80, "default.example.test", CaState::unknown, RequestOutcome::onboard,
       "guests onboard"},
      {"failing client", RequestPath::http_port, 80, "default.example.test", CaState::failing, RequestOutcome::onboard,
       "guests onboard"},
      {"working client: as intercept", RequestPath::http_port, 80, "default.example.test", CaState::working,
       RequestOutcome::allow, "guests onboard"},
      {"a block rule first still blocks", RequestPath::http_port, 80, "secret.example.test", CaState::unknown,
       RequestOutcome::block, "secret is blocked"},
      {"a tunnel rule first forwards", RequestPath::http_port, 80, "api.example.test", CaState::unknown,
       RequestOutcome::allow, "api is private"},
      {"another port: intercept", RequestPath::http_port, 8080, "default.example.test", CaState::unknown,
       RequestOutcome::allow, "default"},
      {"inside TLS onboard is intercept", RequestPath::intercepted_tls, 80, "default.example.test", CaState::unknown,
       RequestOutcome::allow, "guests onboard"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto v = onboard_request(policy, c.path, c.port, c.authority, ClientCa{c.state, false});
    EXPECT_EQ(v.outcome, c.outcome);
    EXPECT_EQ(v.reason, RequestReason::policy);
    ASSERT_TRUE(v.rule);
    EXPECT_EQ(v.rule->rule, c.rule);
  }
}

TEST(DecideRequestOnboard, FailingClientsGoToThePortalWithoutARuleWhenTheConfigSaysSo) {
  const auto policy = policy::Policy::parse(R"({"default": "intercept", "rules": [
      {"name": "api is private", "host": "api.example.test", "action": "tunnel"}]})", "plain.json");
  using policy::CaState;
  auto v = onboard_request(policy, RequestPath::http_port, 80, "a.example.test", ClientCa{CaState::failing, true});
  EXPECT_EQ(v.outcome, RequestOutcome::onboard);
  EXPECT_EQ(v.reason, RequestReason::ca_failing);
  EXPECT_EQ(to_string(v.reason), "ca_failing");
  EXPECT_EQ(onboard_request(policy, RequestPath::http_port, 80, "a.example.test", ClientCa{CaState::failing, false})
                .outcome,
            RequestOutcome::allow)
      << "off by default";
  EXPECT_EQ(onboard_request(policy, RequestPath::http_port, 80, "a.example.test", ClientCa{CaState::unknown, true})
                .outcome,
            RequestOutcome::allow)
      << "only evidence of failure sends a client without a rule";
  EXPECT_EQ(onboard_request(policy, RequestPath::http_port, 80, "api.example.test", ClientCa{CaState::failing, true})
                .outcome,
            RequestOutcome::allow)
      << "what the operator tunnels is left alone";
  EXPECT_EQ(onboard_request(policy, RequestPath::intercepted_tls, 443, "a.example.test",
                            ClientCa{CaState::failing, true})
                .outcome,
            RequestOutcome::allow);
}

TEST(HostOfAuthority, StripsPortUserinfoAndBrackets) {
  EXPECT_EQ(host_of_authority("Example.COM:8080"), "example.com");
  EXPECT_EQ(host_of_authority("[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(host_of_authority("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(host_of_authority("a@b.example"), "b.example");
  EXPECT_EQ(host_of_authority("host:notaport"), "host:notaport") << "not a port: the policy sees it as it is";
  EXPECT_EQ(host_of_authority(""), std::nullopt);
  EXPECT_EQ(host_of_authority("[2001:db8::1"), std::nullopt);
}

}  // namespace
}  // namespace tlsgate

namespace tlsgate {
namespace {

const char* const request_rules_policy = R"({
  "default": "intercept",
  "rules": [
    {"name": "no secret", "host": ["www.example.test", "bank.example.test"], "path": "/secret/*", "action": "block"},
    {"name": "no posts", "host": "www.example.test", "method": "POST", "scheme": "http", "action": "block"},
    {"name": "public part", "host": "closed.example.test", "path": "/public/*", "action": "allow"},
    {"name": "closed", "host": "closed.example.test", "action": "block"},
    {"name": "bank", "host": ["bank.example.test", "other-bank.example.test"], "action": "tunnel"},
    {"name": "safe", "host": "video.example.test", "remove_request_header": "X-Debug",
     "set_request_header": {"YouTube-Restrict": "Strict"}, "action": "intercept"}
  ]
})";

class DecideRequestRules : public ::testing::Test {
 protected:
  policy::Policy policy = policy::Policy::parse(request_rules_policy, "requests.json");

  std::optional<policy::Decision> handshake(const char* sni) const {
    auto q = addresses();
    q.hosts = {sni};
    return policy.match(q);
  }
  RequestVerdict in_tls(const char* sni, const char* host, const char* target, const char* method = "GET") const {
    auto q = addresses();
    q.request = policy::RequestFields{policy::request_path(target), method, "https"};
    return decide_request(policy, q, RequestPath::intercepted_tls, handshake(sni), std::string(host));
  }
  RequestVerdict on_port_80(const char* host, const char* target, const char* method = "GET") const {
    auto q = addresses("192.0.2.10", 80);
    q.request = policy::RequestFields{policy::request_path(target), method, "http"};
    return decide_request(policy, q, RequestPath::http_port, std::nullopt, std::string(host));
  }
};

TEST_F(DecideRequestRules, APathRuleBlocksItsPathAndAllowsTheRest) {
  struct Case {
    const char* sni;
    const char* host;
    const char* target;
    RequestOutcome outcome;
    const char* rule;
  };
  const Case cases[] = {
      {"www.example.test", "www.example.test", "/secret/", RequestOutcome::block, "no secret"},
      {"www.example.test", "www.example.test", "/secret/a?b", RequestOutcome::block, "no secret"},
      {"www.example.test", "www.example.test", "/./secret//a", RequestOutcome::block, "no secret"},
      {"www.example.test", "www.example.test", "/", RequestOutcome::allow, "default"},
      {"bank.example.test", "bank.example.test", "/secret/", RequestOutcome::block, "no secret"},
      {"bank.example.test", "bank.example.test", "/", RequestOutcome::allow, "bank"},
      {"www.example.test", "bank.example.test", "/", RequestOutcome::allow, "bank"},
      {"www.example.test", "other-bank.example.test", "/", RequestOutcome::misdirected, "bank"},
      {"closed.example.test", "closed.example.test", "/public/app.js", RequestOutcome::allow, "public part"},
      {"closed.example.test", "closed.example.test", "/", RequestOutcome::block, "closed"},
      {"www.example.test", "closed.example.test", "/public/app.js", RequestOutcome::allow, "public part"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.sni) + " -> " + c.host + c.target);
    const auto v = in_tls(c.sni, c.host, c.target);
    EXPECT_EQ(v.outcome, c.outcome);
    ASSERT_TRUE(v.rule);
    EXPECT_EQ(v.rule->rule, c.rule);
    EXPECT_EQ(v.reason, c.outcome == RequestOutcome::misdirected ? RequestReason::host_mismatch : RequestReason::policy);
  }
}

TEST_F(DecideRequestRules, MethodAndSchemeAreTheRequestsAndTheConnections) {
  EXPECT_EQ(on_port_80("www.example.test", "/form", "POST").outcome, RequestOutcome::block);
  EXPECT_EQ(on_port_80("www.example.test", "/form", "GET").outcome, RequestOutcome::allow);
  EXPECT_EQ(in_tls("www.example.test", "www.example.test", "/form", "POST").outcome, RequestOutcome::allow)
      << "the rule is for http only";
  EXPECT_EQ(on_port_80("www.example.test", "/secret/x").outcome, RequestOutcome::block);
  EXPECT_EQ(on_port_80("bank.example.test", "/").outcome, RequestOutcome::allow);
}

TEST_F(DecideRequestRules, AnAllowedRequestCarriesItsRulesHeaderEdits) {
  const auto v = in_tls("video.example.test", "video.example.test", "/watch");
  EXPECT_EQ(v.outcome, RequestOutcome::allow);
  ASSERT_EQ(v.header_edits.size(), 2u);
  EXPECT_EQ(v.header_edits[0], (policy::HeaderEdit{policy::HeaderEdit::Kind::remove, "X-Debug", ""}));
  EXPECT_EQ(v.header_edits[1], (policy::HeaderEdit{policy::HeaderEdit::Kind::set, "YouTube-Restrict", "Strict"}));
  EXPECT_TRUE(in_tls("www.example.test", "www.example.test", "/").header_edits.empty());
}

TEST_F(DecideRequestRules, WithoutRequestFieldsRequestRulesDoNotMatch) {
  const auto v = decide_request(policy, addresses(), RequestPath::intercepted_tls, handshake("www.example.test"),
                                std::string("www.example.test"));
  EXPECT_EQ(v.outcome, RequestOutcome::allow);
  EXPECT_EQ(v.rule->rule, "default");
}

}  // namespace
}  // namespace tlsgate

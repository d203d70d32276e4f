// run_flow() end to end over loopback, without root: every verdict and every
// way a flow ends, checked on the wire and in the flow line.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/support/gateway_harness.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/tls_peers.hpp"

namespace tlsgate::testing {
namespace {

using nlohmann::json;

// Upstreams live on 127.0.0.2; the gateway "host" owns 127.0.0.1.
const std::string upstream_ip = "127.0.0.2";
const std::string upstream_name = "upstream.test";

// What the client saw: bytes until EOF, or the error that ended the reading.
struct Received {
  std::string bytes;
  int error = 0;  // errno of a failed recv (ECONNRESET for a reset), 0 after EOF
};

Received receive_to_end(int fd) {
  Received got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return got;
    if (n < 0) {
      got.error = errno;
      return got;
    }
    got.bytes.append(buf, static_cast<std::size_t>(n));
  }
}

std::string receive_exactly(int fd, std::size_t n) {
  std::string got(n, '\0');
  std::size_t have = 0;
  while (have < n) {
    const ssize_t r = ::recv(fd, got.data() + have, n - have, 0);
    if (r <= 0) break;
    have += static_cast<std::size_t>(r);
  }
  got.resize(have);
  return got;
}

// The client ends first: a TCP FIN (no close_notify that the server could
// answer before the FIN arrives), then it reads on until the gateway closes.
void close_first(int fd) {
  ::shutdown(fd, SHUT_WR);
  receive_to_end(fd);
}

void send_all(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

// A test "public" CA the gateway's upstream trust store is told to trust, an
// unrelated one it does not know, and an upstream identity from each.
class FlowHarnessTest : public ::testing::Test {
 protected:
  FlowHarnessTest()
      : public_ca_(tls::CertificateAuthority::create(tls::KeyType::ec_p256, "test public CA")),
        unknown_ca_(tls::CertificateAuthority::create(tls::KeyType::ec_p256, "test unknown CA")),
        trusted_(issue_server_identity(public_ca_, {upstream_name}, {upstream_ip})),
        untrusted_(issue_server_identity(unknown_ca_, {upstream_name}, {upstream_ip})) {
    write_certificate_pem(public_ca_.certificate(), pki_.path() + "/public-ca.pem");
  }

  // A gateway whose connections were all going to `upstream`; `tls_port`
  // makes that port one of tls_ports.
  GatewaySetup setup_to(const Endpoint& upstream, bool tls_port) const {
    GatewaySetup setup;
    setup.config.upstream_ca_file = pki_.path() + "/public-ca.pem";
    setup.config.learned_bypass = false;  // every flow stands alone: no table learned from the last one
    setup.config.tls_ports = tls_port ? std::vector<std::uint16_t>{upstream.port} : std::vector<std::uint16_t>{};
    setup.config.http_ports = {};
    setup.find_original = [upstream](int, RedirectMode, int*) { return std::optional<Endpoint>(upstream); };
    return setup;
  }

  // The one flow line the harness wrote.
  static json only_flow(GatewayHarness& gateway) {
    const auto lines = gateway.flow_lines(1);
    if (lines.empty()) {
      ADD_FAILURE() << "no flow line was written";
      return json::object();
    }
    return lines.front();
  }

  TempDir pki_;
  tls::CertificateAuthority public_ca_;
  tls::CertificateAuthority unknown_ca_;
  ServerIdentity trusted_;
  ServerIdentity untrusted_;
};

void expect_outcome(const json& flow, std::string_view action, std::string_view reason, std::string_view end_by) {
  EXPECT_EQ(flow.value("action", ""), action) << flow.dump();
  EXPECT_EQ(flow.value("reason", ""), reason) << flow.dump();
  EXPECT_EQ(flow["end"].value("by", ""), end_by) << flow.dump();
}

// --- plain TCP: tunnel, who closes first, idle timeout, shutdown ---

TEST_F(FlowHarnessTest, TunnelsPlainTcpUntilTheClientCloses) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewayHarness gateway(setup_to(upstream.endpoint(), false));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    send_all(client.get(), "ping");
    EXPECT_EQ(receive_exactly(client.get(), 4), "ping");
    close_first(client.get());
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "policy", "client");
  EXPECT_EQ(flow["end"]["error"], nullptr);
  EXPECT_EQ(flow.value("proto", ""), "tcp");
  EXPECT_EQ(flow["server"].value("ip", ""), upstream_ip);
  EXPECT_EQ(flow["server"].value("port", 0), upstream.endpoint().port);
  EXPECT_EQ(flow["client"].value("ip", ""), "127.0.0.1");
  EXPECT_EQ(flow["bytes"].value("from_client", 0), 4);
  EXPECT_EQ(flow["bytes"].value("to_client", 0), 4);
  EXPECT_EQ(flow["policy"].value("rule", ""), "default");
}

TEST_F(FlowHarnessTest, TunnelEndsWhenTheServerClosesFirst) {
  LoopbackServer upstream(upstream_ip, [](int fd) { ::send(fd, "bye", 3, MSG_NOSIGNAL); });
  GatewayHarness gateway(setup_to(upstream.endpoint(), false));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const Received got = receive_to_end(client.get());
    EXPECT_EQ(got.bytes, "bye");
    EXPECT_EQ(got.error, 0);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "policy", "server");
  EXPECT_EQ(flow["bytes"].value("to_client", 0), 3);
}

TEST_F(FlowHarnessTest, IdleTunnelEndsAtTheIdleTimeout) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewaySetup setup = setup_to(upstream.endpoint(), false);
  setup.config.idle_timeout = std::chrono::seconds(1);
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const Received got = receive_to_end(client.get());  // the gateway closes: nothing moved
    EXPECT_NE(got.error, EAGAIN) << "the gateway kept an idle flow open";
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "idle_timeout", "timeout");
  EXPECT_EQ(flow["end"].value("error", ""), "no data for 1 s");
}

TEST_F(FlowHarnessTest, ShutdownEndsARunningFlow) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewayHarness gateway(setup_to(upstream.endpoint(), false));
  const UniqueFd client = connect_tcp(gateway.endpoint());
  ASSERT_GE(client.get(), 0);
  send_all(client.get(), "x");
  ASSERT_EQ(receive_exactly(client.get(), 1), "x");  // the flow is relaying
  gateway.terminate_flows();
  EXPECT_NE(receive_to_end(client.get()).error, EAGAIN);
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "shutdown", "shutdown");
}

TEST_F(FlowHarnessTest, UnreachableUpstreamEndsAPlainTunnel) {
  GatewayHarness gateway(setup_to(closed_port(upstream_ip), false));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    EXPECT_EQ(receive_to_end(client.get()).error, ECONNRESET);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "upstream_refused", "error");
  EXPECT_TRUE(flow["end"]["error"].is_string());
}

TEST_F(FlowHarnessTest, ObservesPlainHttpOnAnHttpPort) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  LoopbackServer upstream(upstream_ip, [&response](int fd) {
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      request.append(buf, static_cast<std::size_t>(n));
    }
    ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
    receive_to_end(fd);
  });
  GatewaySetup setup = setup_to(upstream.endpoint(), false);
  setup.config.http_ports = {upstream.endpoint().port};
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    send_all(client.get(), "GET / HTTP/1.1\r\nHost: upstream.test\r\n\r\n");
    EXPECT_EQ(receive_exactly(client.get(), response.size()), response);
    close_first(client.get());
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "intercept", "policy", "client");
  EXPECT_EQ(flow.value("proto", ""), "http");
  EXPECT_EQ(flow["http"].value("exchanges", 0), 1);
  EXPECT_EQ(gateway.events("http").size(), 1u);
}

// --- arrival: not redirected, no original destination ---

TEST_F(FlowHarnessTest, RefusesAConnectionToAnOwnAddress) {
  LoopbackServer own_service("127.0.0.1", echo);
  GatewayHarness gateway(setup_to(own_service.endpoint(), false));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    EXPECT_EQ(receive_to_end(client.get()).error, ECONNRESET);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "reject", "not_redirected", "error");
  EXPECT_EQ(own_service.connections(), 0);
}

TEST_F(FlowHarnessTest, RefusesAConnectionWhoseDestinationIsTheListener) {
  GatewaySetup setup;
  setup.own_addresses = {*IpAddress::parse("192.0.2.1")};  // 127.0.0.1 is not "ours": only the equality refuses
  setup.find_original = [](int fd, RedirectMode, int*) { return local_endpoint(fd); };
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    EXPECT_EQ(receive_to_end(client.get()).error, ECONNRESET);
  }
  expect_outcome(only_flow(gateway), "reject", "not_redirected", "error");
}

TEST_F(FlowHarnessTest, RefusesAConnectionWithoutNatEntry) {
  GatewaySetup setup = setup_to(closed_port(upstream_ip), false);
  setup.find_original = [](int, RedirectMode, int* error) {
    *error = ENOENT;
    return std::optional<Endpoint>();
  };
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    EXPECT_EQ(receive_to_end(client.get()).error, ECONNRESET);
  }
  expect_outcome(only_flow(gateway), "reject", "not_redirected", "error");
}

TEST_F(FlowHarnessTest, RefusesAConnectionTheKernelCannotPlace) {
  GatewaySetup setup = setup_to(closed_port(upstream_ip), false);
  setup.find_original = [](int, RedirectMode, int* error) {
    *error = EPERM;
    return std::optional<Endpoint>();
  };
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    EXPECT_EQ(receive_to_end(client.get()).error, ECONNRESET);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "reject", "no_original_destination", "error");
  EXPECT_EQ(flow["end"].value("error", ""), std::strerror(EPERM));
}

// --- a TLS port's first bytes: peek timeout, not TLS, malformed, closed early ---

TEST_F(FlowHarnessTest, TunnelsAHelloThatNeverCompletes) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewaySetup setup = setup_to(upstream.endpoint(), true);
  setup.config.peek_timeout = std::chrono::milliseconds(200);
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const std::string partial_header("\x16\x03\x01\x02", 4);
    send_all(client.get(), partial_header);
    EXPECT_EQ(receive_exactly(client.get(), 4), partial_header);  // the peeked bytes reached the upstream
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "peek_timeout", "client");
  EXPECT_EQ(flow.value("proto", ""), "unknown");
}

TEST_F(FlowHarnessTest, TunnelsATlsPortThatCarriesSomethingElse) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    send_all(client.get(), "hello\n");
    EXPECT_EQ(receive_exactly(client.get(), 6), "hello\n");
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "not_tls", "client");
  EXPECT_EQ(flow.value("proto", ""), "unknown");
}

// A host rule that could change the outcome: flows whose host was never proven are reset.
std::shared_ptr<const policy::Policy> host_rule_policy() {
  return std::make_shared<const policy::Policy>(policy::Policy::parse(
      R"({"default": "intercept", "rules": [{"name": "no-secret", "host": ["secret.test"], "action": "block"}]})",
      "test-policy.json"));
}

TEST_F(FlowHarnessTest, ResetsALateHelloWhereAHostRuleCouldMatter) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewaySetup setup = setup_to(upstream.endpoint(), true);
  setup.config.peek_timeout = std::chrono::milliseconds(200);
  setup.policy = host_rule_policy();
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    send_all(client.get(), std::string("\x16\x03\x01\x02", 4));
    const Received got = receive_to_end(client.get());
    EXPECT_EQ(got.bytes, "");
    EXPECT_EQ(got.error, ECONNRESET);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "reject", "unidentified", "error");
  EXPECT_EQ(upstream.connections(), 0) << "no upstream connection for a flow that is reset";
}

TEST_F(FlowHarnessTest, ResetsAnUntrustedUpstreamWhereAHostRuleCouldMatter) {
  const TlsServerContext server(untrusted_, {"http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewaySetup setup = setup_to(upstream.endpoint(), true);
  setup.policy = host_rule_policy();
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(unknown_ca_.certificate());
    unsigned long error = 0;
    EXPECT_FALSE(tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error));
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "reject", "unidentified", "error");
  EXPECT_EQ(upstream.connections(), 1) << "the look only: no tunnel";
}

TEST_F(FlowHarnessTest, TunnelsAnUnidentifiedFlowWhenConfigured) {
  const TlsServerContext server(untrusted_, {"http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewaySetup setup = setup_to(upstream.endpoint(), true);
  setup.policy = host_rule_policy();
  setup.config.unidentified = UnidentifiedFlow::tunnel;
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(unknown_ca_.certificate());
    unsigned long error = 0;
    const auto ssl = tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error);
    ASSERT_TRUE(ssl) << ERR_reason_error_string(error);
    close_first(client.get());
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "upstream_cert_invalid", "client");
}

TEST_F(FlowHarnessTest, ResetsAMalformedClientHello) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    send_all(client.get(), std::string("\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9));  // a ServerHello
    EXPECT_EQ(receive_to_end(client.get()).error, ECONNRESET);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "reject", "client_hello_not_client_hello", "error");
  EXPECT_EQ(flow.value("proto", ""), "tls");
  EXPECT_EQ(upstream.connections(), 0);
}

TEST_F(FlowHarnessTest, ClientLeavingBeforeItsHelloEndsTheFlow) {
  LoopbackServer upstream(upstream_ip, echo);
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    send_all(client.get(), std::string("\x16\x03\x01", 3));
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "client_closed_early", "client");
  EXPECT_EQ(upstream.connections(), 0);
}

// --- TLS: intercept h1 and h2, block, upstream certificate and connect failures ---

TEST_F(FlowHarnessTest, InterceptsHttp1UntilTheClientCloses) {
  const TlsServerContext server(trusted_, {"h2", "http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(gateway.ca_certificate());  // the forged certificate verifies
    unsigned long error = 0;
    const auto ssl = tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error);
    ASSERT_TRUE(ssl) << ERR_reason_error_string(error);
    EXPECT_EQ(selected_alpn(ssl.get()), "http/1.1");
    ASSERT_TRUE(write_all(ssl.get(), "GET / HTTP/1.1\r\nHost: upstream.test\r\n\r\n"));
    const std::string response = read_until(ssl.get(), "hello");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    close_first(client.get());
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "intercept", "policy", "client");
  EXPECT_EQ(flow.value("proto", ""), "tls");
  EXPECT_EQ(flow.value("sni", ""), upstream_name);
  EXPECT_EQ(flow.value("host", ""), upstream_name);
  EXPECT_EQ(flow["tls"]["client"]["negotiated"].value("alpn", ""), "http/1.1");
  EXPECT_EQ(flow["tls"]["upstream"].value("verify", ""), "ok");
  EXPECT_EQ(flow["tls"]["forged"].value("cache", ""), "miss");
  EXPECT_EQ(flow["http"].value("exchanges", 0), 1);
  const auto http = gateway.events("http");
  ASSERT_EQ(http.size(), 1u);
  EXPECT_EQ(http[0].value("flow_id", 0), flow.value("flow_id", 0));
}

TEST_F(FlowHarnessTest, InterceptedFlowEndsWhenTheServerClosesFirst) {
  const TlsServerContext server(trusted_, {"http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::close));
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(gateway.ca_certificate());
    unsigned long error = 0;
    const auto ssl = tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error);
    ASSERT_TRUE(ssl) << ERR_reason_error_string(error);
    ASSERT_TRUE(write_all(ssl.get(), "GET / HTTP/1.1\r\nHost: upstream.test\r\n\r\n"));
    const std::string response = read_to_end(ssl.get());  // the server's close reaches the client
    EXPECT_NE(response.find("hello"), std::string::npos) << response;
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "intercept", "policy", "server");
  EXPECT_EQ(flow["http"].value("exchanges", 0), 1);
}

TEST_F(FlowHarnessTest, InterceptsH2) {
  const TlsServerContext server(trusted_, {"h2", "http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(gateway.ca_certificate());
    unsigned long error = 0;
    const auto ssl = tls_connect(ctx.get(), client.get(), upstream_name, {"h2", "http/1.1"}, &error);
    ASSERT_TRUE(ssl) << ERR_reason_error_string(error);
    ASSERT_EQ(selected_alpn(ssl.get()), "h2");
    // GET https://upstream.test/ in HPACK: three static-table entries and a literal :authority.
    const std::string request_block = "\x82\x87\x84\x41\x0d" + upstream_name;
    ASSERT_TRUE(write_all(ssl.get(), std::string(h2_preface) + h2_frame(h2_settings, 0, 0, "") +
                                         h2_frame(h2_headers, h2_end_headers | h2_end_stream, 1, request_block)));
    const auto response = read_until_h2_headers(ssl.get());
    ASSERT_TRUE(response);
    EXPECT_EQ(response->stream, 1u);
    EXPECT_EQ(response->payload, "\x88");  // :status 200
    close_first(client.get());
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "intercept", "policy", "client");
  EXPECT_EQ(flow["tls"]["client"]["negotiated"].value("alpn", ""), "h2");
  EXPECT_EQ(flow["tls"]["upstream"].value("alpn", ""), "h2");
  EXPECT_EQ(flow["http"].value("exchanges", 0), 1);
}

TEST_F(FlowHarnessTest, ClientRejectingTheForgedCertificateEndsTheFlow) {
  const TlsServerContext server(trusted_, {"http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(public_ca_.certificate());  // does not trust the gateway CA
    unsigned long error = 0;
    EXPECT_FALSE(tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error));
    EXPECT_EQ(ERR_GET_REASON(error), SSL_R_CERTIFICATE_VERIFY_FAILED) << ERR_reason_error_string(error);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "intercept", "client_rejected_certificate", "client");
  EXPECT_TRUE(flow["end"]["error"].is_string());
}

TEST_F(FlowHarnessTest, TunnelsAClientThatOffersNoObservableProtocol) {
  const TlsServerContext server(trusted_, {"imap"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(public_ca_.certificate());  // the upstream's own certificate
    unsigned long error = 0;
    const auto ssl = tls_connect(ctx.get(), client.get(), upstream_name, {"imap"}, &error);
    ASSERT_TRUE(ssl) << ERR_reason_error_string(error);
    EXPECT_EQ(selected_alpn(ssl.get()), "imap");
    close_first(client.get());
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "no_observable_alpn", "client");
  EXPECT_EQ(upstream.connections(), 1);  // no host rule could block: nothing to look at first
}

TEST_F(FlowHarnessTest, BlocksWithAnAccessDeniedAlert) {
  const TlsServerContext server(trusted_, {"http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::close));
  GatewaySetup setup = setup_to(upstream.endpoint(), true);
  setup.policy = std::make_shared<const policy::Policy>(policy::Policy::parse(
      R"({"default": "intercept", "rules": [{"name": "no-upstream", "host": ["upstream.test"], "action": "block"}]})",
      "test-policy.json"));
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(gateway.ca_certificate());
    unsigned long error = 0;
    EXPECT_FALSE(tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error));
    EXPECT_EQ(ERR_GET_REASON(error), SSL_R_TLSV1_ALERT_ACCESS_DENIED) << ERR_reason_error_string(error);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "block", "policy", "error");
  EXPECT_EQ(flow["end"].value("error", ""), "blocked by policy rule no-upstream");
  EXPECT_EQ(flow["policy"].value("rule", ""), "no-upstream");
  EXPECT_EQ(flow.value("host", ""), upstream_name);
  EXPECT_EQ(upstream.connections(), 0);
}

TEST_F(FlowHarnessTest, RejectsAnUntrustedUpstreamWhenConfigured) {
  const TlsServerContext server(untrusted_, {"http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewaySetup setup = setup_to(upstream.endpoint(), true);
  setup.config.upstream_cert_error = UpstreamCertError::reject;
  GatewayHarness gateway(std::move(setup));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(gateway.ca_certificate());
    unsigned long error = 0;
    EXPECT_FALSE(tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error));
    EXPECT_EQ(ERR_GET_REASON(error), SSL_R_SSLV3_ALERT_BAD_CERTIFICATE) << ERR_reason_error_string(error);
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "reject", "upstream_cert_invalid", "error");
  EXPECT_NE(flow["tls"]["upstream"].value("verify", "ok"), "ok");
}

TEST_F(FlowHarnessTest, TunnelsToAnUntrustedUpstreamByDefault) {
  const TlsServerContext server(untrusted_, {"http/1.1"});
  LoopbackServer upstream(upstream_ip, https_responder(server, AfterResponse::wait_for_client_close));
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    // The client sees the upstream's own certificate, never a forged one.
    const auto ctx = tls_client_context(unknown_ca_.certificate());
    unsigned long error = 0;
    const auto ssl = tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error);
    ASSERT_TRUE(ssl) << ERR_reason_error_string(error);
    ASSERT_TRUE(write_all(ssl.get(), "GET / HTTP/1.1\r\nHost: upstream.test\r\n\r\n"));
    EXPECT_NE(read_until(ssl.get(), "hello").find("hello"), std::string::npos);
    close_first(client.get());
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "upstream_cert_invalid", "client");
  EXPECT_NE(flow["tls"]["upstream"].value("verify", "ok"), "ok");
  EXPECT_TRUE(flow["tls"]["upstream"].contains("cert"));
  EXPECT_EQ(upstream.connections(), 2);  // one to look, one for the tunnel
}

TEST_F(FlowHarnessTest, TunnelsWhenTheUpstreamHandshakeFails) {
  LoopbackServer upstream(upstream_ip, close_at_once);
  GatewayHarness gateway(setup_to(upstream.endpoint(), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(gateway.ca_certificate());
    unsigned long error = 0;
    EXPECT_FALSE(tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error));
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "tunnel", "upstream_handshake_failed", "server");
  EXPECT_TRUE(flow["tls"]["upstream"]["error"].is_string()) << flow.dump();
  EXPECT_EQ(upstream.connections(), 2);
}

TEST_F(FlowHarnessTest, ResetsTheClientWhenTheTlsUpstreamIsUnreachable) {
  GatewayHarness gateway(setup_to(closed_port(upstream_ip), true));
  {
    const UniqueFd client = connect_tcp(gateway.endpoint());
    ASSERT_GE(client.get(), 0);
    const auto ctx = tls_client_context(gateway.ca_certificate());
    unsigned long error = 0;
    EXPECT_FALSE(tls_connect(ctx.get(), client.get(), upstream_name, {"http/1.1"}, &error));
  }
  const json flow = only_flow(gateway);
  expect_outcome(flow, "intercept", "upstream_refused", "error");
  EXPECT_TRUE(flow["end"]["error"].is_string());
}

}  // namespace
}  // namespace tlsgate::testing

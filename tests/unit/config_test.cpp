#include "gateway/config.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

TEST(Config, EmptyObjectGivesDocumentedDefaults) {
  const Config c = parse_config("{}", "test.json");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].mode, RedirectMode::redirect);
  EXPECT_EQ(c.listeners[0].port, 15001);
  EXPECT_EQ(c.listeners[0].address.to_string(), "::");
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.flow_log, "stdout");
  EXPECT_EQ(c.connect_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.idle_timeout, std::chrono::seconds(300));
  EXPECT_TRUE(c.is_tls_port(443));
  EXPECT_TRUE(c.is_tls_port(8443));
  EXPECT_FALSE(c.is_tls_port(80));
  EXPECT_TRUE(c.is_http_port(80));
  EXPECT_EQ(c.default_action, DefaultAction::intercept);
  EXPECT_EQ(c.upstream_cert_error, UpstreamCertError::tunnel);
  EXPECT_EQ(c.unidentified, UnidentifiedFlow::reset);
  EXPECT_GE(c.peek_max_bytes, 16u * 1024);
  EXPECT_EQ(c.forbidden_destinations,
            (std::vector<std::string>{"127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10"}));
  EXPECT_EQ(c.upstream_mark, 0u);
}

TEST(Config, ForbiddenDestinationsAndUpstreamMark) {
  const Config c = parse_config(R"({"forbidden_destinations": ["10.9.0.0/16", "fd00::/8"], "upstream_mark": 4096})",
                                "test.json");
  EXPECT_EQ(c.forbidden_destinations, (std::vector<std::string>{"10.9.0.0/16", "fd00::/8"}));
  EXPECT_EQ(c.upstream_mark, 4096u);
  EXPECT_TRUE(parse_config(R"({"forbidden_destinations": []})", "test.json").forbidden_destinations.empty());
}

TEST(Config, ReadsEveryKindOfField) {
  const Config c = parse_config(R"({
    "listeners": [{"mode": "redirect", "port": 15001},
                  {"mode": "tproxy", "address": "0.0.0.0", "port": 15002}],
    "workers": 3, "flow_log": "/var/log/tlsgate/flows.jsonl",
    "connect_timeout_ms": 250, "idle_timeout_s": 30, "tls_ports": [443],
    "default_action": "tunnel", "upstream_cert_error": "reject", "unidentified": "tunnel",
    "ca_cert": "/etc/ca.crt", "ca_key": "/etc/ca.key", "keylog_file": null,
    "learned_bypass": false, "http_redact": false
  })", "test.json");
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[1].mode, RedirectMode::tproxy);
  EXPECT_EQ(c.listeners[1].address.to_string(), "0.0.0.0");
  EXPECT_EQ(c.listeners[1].port, 15002);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.flow_log, "/var/log/tlsgate/flows.jsonl");
  EXPECT_EQ(c.connect_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.idle_timeout, std::chrono::seconds(30));
  EXPECT_FALSE(c.is_tls_port(8443));
  EXPECT_EQ(c.default_action, DefaultAction::tunnel);
  EXPECT_EQ(c.upstream_cert_error, UpstreamCertError::reject);
  EXPECT_EQ(c.unidentified, UnidentifiedFlow::tunnel);
  EXPECT_EQ(c.ca_cert, "/etc/ca.crt");
  EXPECT_FALSE(c.keylog_file.has_value());
  EXPECT_FALSE(c.learned_bypass);
  EXPECT_FALSE(c.http_redact);
}

TEST(Config, QuicGuard) {
  const Config d = parse_config("{}", "test.json");
  EXPECT_FALSE(d.quic_guard.enabled);
  EXPECT_EQ(d.quic_guard.queue, 0);
  EXPECT_FALSE(d.quic_guard.fail_closed);
  EXPECT_EQ(d.quic_guard.unparseable, QuicUnparseable::drop);
  EXPECT_EQ(d.quic_guard.hold_packets, 8u);
  EXPECT_EQ(d.quic_guard.hold_bytes, 65536u);
  EXPECT_EQ(d.quic_guard.hold_time, std::chrono::milliseconds(1000));
  EXPECT_EQ(d.quic_guard.decided_entries, 65536u);
  EXPECT_EQ(d.quic_guard.decided_ttl, std::chrono::seconds(60));

  const Config c = parse_config(R"({"quic_guard": {"enabled": true, "queue": 3, "fail_closed": true,
    "unparseable": "accept", "hold_packets": 4, "hold_bytes": 8000, "hold_ms": 250,
    "decided_entries": 100, "decided_ttl_s": 5}})", "test.json");
  EXPECT_TRUE(c.quic_guard.enabled);
  EXPECT_EQ(c.quic_guard.queue, 3);
  EXPECT_TRUE(c.quic_guard.fail_closed);
  EXPECT_EQ(c.quic_guard.unparseable, QuicUnparseable::accept);
  EXPECT_EQ(c.quic_guard.hold_packets, 4u);
  EXPECT_EQ(c.quic_guard.hold_bytes, 8000u);
  EXPECT_EQ(c.quic_guard.hold_time, std::chrono::milliseconds(250));
  EXPECT_EQ(c.quic_guard.decided_entries, 100u);
  EXPECT_EQ(c.quic_guard.decided_ttl, std::chrono::seconds(5));
}

TEST(Config, ErrorsNameTheKey) {
  struct Case {
    const char* name;
    const char* json;
    const char* expected_fragment;
  };
  const Case cases[] = {
      {"unknown_top", R"({"listners": []})", "test.json: /listners: unknown key"},
      {"unknown_nested", R"({"listeners": [{"port": 1, "mdoe": "tproxy"}]})", "/listeners/0/mdoe: unknown key"},
      {"bad_mode", R"({"listeners": [{"port": 1, "mode": "nat"}]})", "/listeners/0/mode: must be one of: redirect, tproxy"},
      {"missing_port", R"({"listeners": [{"mode": "redirect"}]})", "/listeners/0/port: is required"},
      {"port_range", R"({"listeners": [{"port": 70000}]})", "/listeners/0/port: must be between 1 and 65535"},
      {"bad_address", R"({"listeners": [{"port": 1, "address": "localhost"}]})", "/listeners/0/address: must be an IPv4"},
      {"empty_listeners", R"({"listeners": []})", "/listeners: must be a non-empty array"},
      {"negative", R"({"workers": -1})", "/workers: must be a non-negative integer"},
      {"string_for_int", R"({"idle_timeout_s": "30"})", "/idle_timeout_s: must be a non-negative integer"},
      {"small_peek", R"({"peek_max_bytes": 1024})", "/peek_max_bytes: must be between 16384"},
      {"bad_tls_port", R"({"tls_ports": [443, 0]})", "/tls_ports/1: must be between 1 and 65535"},
      {"bad_action", R"({"default_action": "block"})", "/default_action: must be one of: intercept, tunnel"},
      {"bad_bool", R"({"learned_bypass": "yes"})", "/learned_bypass: must be true or false"},
      {"empty_string", R"({"flow_log": ""})", "/flow_log: must be a non-empty string"},
      {"half_ca", R"({"ca_cert": "/x.crt"})", "/ca_key: ca_cert and ca_key must be given together"},
      {"failing_without_portal", R"({"portal_redirect_failing_clients": true})",
       "/portal_redirect_failing_clients: needs portal_listen"},
      {"not_object", R"([1, 2])", "/: must be an object"},
      {"quic_unknown", R"({"quic_guard": {"enable": true}})", "/quic_guard/enable: unknown key"},
      {"quic_queue", R"({"quic_guard": {"queue": 70000}})", "/quic_guard/queue: must be between 0 and 65535"},
      {"quic_unparseable", R"({"quic_guard": {"unparseable": "reject"}})",
       "/quic_guard/unparseable: must be one of: accept, drop"},
      {"quic_hold", R"({"quic_guard": {"hold_packets": 0}})", "/quic_guard/hold_packets: must be between 1 and 64"},
      {"quic_not_object", R"({"quic_guard": true})", "/quic_guard: must be an object"},
      {"forbidden_not_list", R"({"forbidden_destinations": "10.0.0.0/8"})",
       "/forbidden_destinations: must be an array of address prefixes"},
      {"forbidden_v4_bits", R"({"forbidden_destinations": ["::1/128", "10.0.0.0/33"]})",
       "/forbidden_destinations/1: must be an address or an address prefix"},
      {"forbidden_name", R"({"forbidden_destinations": ["example.com/8"]})",
       "/forbidden_destinations/0: must be an address or an address prefix"},
      {"mark_range", R"({"upstream_mark": 4294967296})", "/upstream_mark: must be between 0 and 4294967295"},
      {"bad_json", R"({"workers": 1,})", "test.json: invalid JSON at byte"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      parse_config(c.json, "test.json");
      ADD_FAILURE() << "accepted invalid config";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected_fragment), std::string::npos) << e.what();
    }
  }
}

TEST(Config, MissingFileIsAnError) {
  EXPECT_THROW(load_config_file("/nonexistent/tlsgate.json"), ConfigError);
}

TEST(Config, DeployExampleLoads) {
  const Config c = load_config_file(std::string(TLSGATE_TEST_DATA_DIR) + "/../../deploy/tlsgate.json");
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[1].mode, RedirectMode::tproxy);
  EXPECT_EQ(c.policy_file.value_or(""), "/etc/tlsgate/policy.json");
}

// Operations keys (daemonops): user, metrics_listen, log_level.
TEST(ConfigOps, DefaultsAreOff) {
  const Config c = parse_config("{}", "test.json");
  EXPECT_FALSE(c.user);
  EXPECT_FALSE(c.metrics_listen);
  EXPECT_EQ(c.log_level, "info");
}

TEST(ConfigOps, ReadsTheKeys) {
  const Config c = parse_config(R"({"user": "tlsgate", "metrics_listen": "[::1]:9101", "log_level": "debug"})", "t");
  EXPECT_EQ(c.user, "tlsgate");
  ASSERT_TRUE(c.metrics_listen);
  EXPECT_EQ(c.metrics_listen->ip.to_string(), "::1");
  EXPECT_EQ(c.metrics_listen->port, 9101);
  EXPECT_EQ(c.log_level, "debug");
}

TEST(ConfigOps, BadValuesNameTheKey) {
  const struct {
    const char* json;
    const char* key;
  } cases[] = {{R"({"metrics_listen": "127.0.0.1"})", "/metrics_listen"},
               {R"({"metrics_listen": 9101})", "/metrics_listen"},
               {R"({"log_level": "verbose"})", "/log_level"},
               {R"({"user": ""})", "/user"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    try {
      parse_config(c.json, "t.json");
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(c.key), std::string::npos) << e.what();
    }
  }
}

TEST(ConfigOps, HostPort) {
  const struct {
    const char* text;
    const char* ip;  // nullptr: rejected
    std::uint16_t port;
  } cases[] = {{"127.0.0.1:9101", "127.0.0.1", 9101}, {"[::1]:80", "::1", 80},   {"[::]:65535", "::", 65535},
               {"::1:9101", nullptr, 0},              {"127.0.0.1:", nullptr, 0}, {"127.0.0.1:0", nullptr, 0},
               {"127.0.0.1:65536", nullptr, 0},       {"host:80", nullptr, 0},    {"1.2.3.4:8x", nullptr, 0}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto ep = parse_host_port(c.text);
    if (!c.ip) {
      EXPECT_FALSE(ep);
      continue;
    }
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->ip.to_string(), c.ip);
    EXPECT_EQ(ep->port, c.port);
  }
}

}  // namespace
}  // namespace tlsgate

namespace tlsgate {
namespace {

TEST(Config, LearnedBypassEvidenceAndControlSocket) {
  const Config d = parse_config("{}", "test.json");
  EXPECT_EQ(d.learned_bypass_weak_threshold, 3u);
  EXPECT_EQ(d.learned_bypass_weak_window, std::chrono::seconds(600));
  EXPECT_EQ(d.learned_bypass_max_per_client, 256u);
  EXPECT_EQ(d.control_socket, "/run/tlsgate/control.sock");
  const Config c = parse_config(R"({"learned_bypass_weak_threshold": 5, "learned_bypass_weak_window_s": 60,
    "learned_bypass_max_per_client": 10, "control_socket": null})", "test.json");
  EXPECT_EQ(c.learned_bypass_weak_threshold, 5u);
  EXPECT_EQ(c.learned_bypass_weak_window, std::chrono::seconds(60));
  EXPECT_EQ(c.learned_bypass_max_per_client, 10u);
  EXPECT_FALSE(c.control_socket);
  EXPECT_THROW(parse_config(R"({"learned_bypass_weak_threshold": 0})", "t"), ConfigError);
}

TEST(Config, LearnedBypassScope) {
  const Config d = parse_config("{}", "test.json");
  EXPECT_TRUE(d.learned_bypass_clients.empty());
  EXPECT_EQ(d.learned_bypass_all_clients_min_clients, 2u);
  const Config c = parse_config(R"({"learned_bypass_clients": ["10.10.1.0/24", "fd00::/8", "192.0.2.7"],
    "learned_bypass_all_clients_min_clients": 3})", "test.json");
  EXPECT_EQ(c.learned_bypass_clients, (std::vector<std::string>{"10.10.1.0/24", "fd00::/8", "192.0.2.7"}));
  EXPECT_EQ(c.learned_bypass_all_clients_min_clients, 3u);
  for (const char* bad : {R"({"learned_bypass_clients": "10.0.0.0/8"})", R"({"learned_bypass_clients": ["10.0.0.0/33"]})",
                          R"({"learned_bypass_clients": ["10.0.0.0/"]})", R"({"learned_bypass_clients": ["lan"]})",
                          R"({"learned_bypass_clients": ["fd00::/129"]})", R"({"learned_bypass_clients": [10]})",
                          R"({"learned_bypass_all_clients_min_clients": 0})"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_config(bad, "t"), ConfigError);
  }
  try {
    parse_config(R"({"learned_bypass_clients": ["10.1.0.0/24", "10.2.0.0/x"]})", "t");
    ADD_FAILURE() << "a bad prefix parsed";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("learned_bypass_clients/1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlsgate

namespace tlsgate {
namespace {

TEST(Config, AbuseLimitsHaveDefaultsAndKeys) {
  const Config d = parse_config("{}", "t.json");
  EXPECT_EQ(d.max_flows, 16384u);
  EXPECT_EQ(d.max_flows_per_client, 1024u);
  EXPECT_EQ(d.log_queue_bytes, 32u << 20);
  EXPECT_EQ(d.http_max_header_fields, 256u);
  const Config c = parse_config(
      R"({"max_flows": 10, "max_flows_per_client": 0, "log_queue_bytes": 1048576, "http_max_header_fields": 100})",
      "t.json");
  EXPECT_EQ(c.max_flows, 10u);
  EXPECT_EQ(c.max_flows_per_client, 0u);
  EXPECT_EQ(c.log_queue_bytes, 1u << 20);
  EXPECT_EQ(c.http_max_header_fields, 100u);
}

TEST(Config, TooBigOrTooDeepIsRefusedBeforeParsing) {
  const std::string deep = "{\"listeners\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  try {
    parse_config(deep, "t.json");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.json: JSON nested deeper than 16 levels"), std::string::npos) << e.what();
  }
  const std::string big = "{\"flow_log\": \"" + std::string(max_config_file_bytes, 'x') + "\"}";
  try {
    parse_config(big, "t.json");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("larger than 1 MiB"), std::string::npos) << e.what();
  }
}

TEST(Config, IcapClientLimits) {
  const Config d = parse_config("{}", "test.json");
  EXPECT_EQ(d.icap.max_connections, 4u);
  EXPECT_EQ(d.icap.connect_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(d.icap.scan_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(d.icap.max_preview_bytes, 65536u);
  const Config c = parse_config(
      R"({"icap": {"max_connections": 16, "connect_timeout_ms": 500, "scan_timeout_ms": 120000, "max_preview_bytes": 0}})",
      "test.json");
  EXPECT_EQ(c.icap.max_connections, 16u);
  EXPECT_EQ(c.icap.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.icap.scan_timeout, std::chrono::milliseconds(120000));
  EXPECT_EQ(c.icap.max_preview_bytes, 0u);
  for (const char* bad : {R"({"icap": {"max_connections": 0}})", R"({"icap": {"scan_timeout_ms": 5}})",
                          R"({"icap": {"connect_timeout_ms": "2s"}})", R"({"icap": {"preview": 4}})",
                          R"({"icap": []})"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_config(bad, "test.json"), ConfigError);
  }
}

TEST(Config, HardeningKeys) {
  const Config d = parse_config("{}", "test.json");
  EXPECT_EQ(d.client_ipv6_prefix, 64u);
  EXPECT_EQ(d.max_certificate_names, 1000u);
  EXPECT_EQ(d.metrics_max_connections, 16u);
  const Config c = parse_config(
      R"({"client_ipv6_prefix": 56, "max_certificate_names": 20000, "metrics_max_connections": 4})", "test.json");
  EXPECT_EQ(c.client_ipv6_prefix, 56u);
  EXPECT_EQ(c.max_certificate_names, 20000u);
  EXPECT_EQ(c.metrics_max_connections, 4u);
  for (const char* bad : {R"({"client_ipv6_prefix": 16})", R"({"client_ipv6_prefix": 129})",
                          R"({"max_certificate_names": 0})", R"({"metrics_max_connections": 0})"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_config(bad, "test.json"), ConfigError);
  }
}

TEST(Config, PcapAndFlowLogFormat) {
  const Config d = parse_config("{}", "test.json");
  EXPECT_FALSE(d.pcap.active());
  EXPECT_EQ(d.pcap.tls_port_map, 80);
  EXPECT_EQ(d.flow_log_format, FlowLogFormat::tlsgate);
  const Config c = parse_config(R"({"flow_log_format": "eve", "pcap": {"enabled": true, "directory": "/tmp/p",
    "rotate_mb": 10, "rotate_s": 0, "files_kept": 5, "default": false, "tls_port_map": 0, "h2_port_map": 8080,
    "plain_http": true, "queue_mb": 8, "pcap_over_ip_listen": "[::1]:57012", "pcap_over_ip_allow_remote": true,
    "pcap_over_ip_token": "0123456789abcdef", "pcap_over_ip_socket": "/run/p.sock", "reader_buffer_mb": 2}})",
                                "test.json");
  EXPECT_EQ(c.flow_log_format, FlowLogFormat::eve);
  EXPECT_TRUE(c.pcap.active());
  EXPECT_EQ(c.pcap.directory, "/tmp/p");
  EXPECT_EQ(c.pcap.rotate_bytes, 10u << 20);
  EXPECT_EQ(c.pcap.rotate_interval.count(), 0);
  EXPECT_EQ(c.pcap.files_kept, 5u);
  EXPECT_FALSE(c.pcap.capture_default);
  EXPECT_EQ(c.pcap.tls_port_map, 0);
  EXPECT_EQ(c.pcap.h2_port_map, 8080);
  EXPECT_TRUE(c.pcap.plain_http);
  EXPECT_EQ(c.pcap.queue_bytes, 8u << 20);
  EXPECT_EQ(c.pcap.pcap_over_ip_listen->ip.to_string(), "::1");
  EXPECT_EQ(c.pcap.pcap_over_ip_listen->port, 57012);
  EXPECT_EQ(c.pcap.reader_buffer_bytes, 2u << 20);
  EXPECT_EQ(c.pcap.pcap_over_ip_token, "0123456789abcdef");
  EXPECT_EQ(c.pcap.pcap_over_ip_socket, "/run/p.sock");
  EXPECT_TRUE(parse_config(R"({"pcap": {"pcap_over_ip_socket": "/run/p.sock"}})", "t").pcap.active());
  for (const char* bad : {R"({"pcap": {"pcap_over_ip_listen": "localhost:1"}})",
                          // A TCP listener needs allow_remote and a token, on loopback too.
                          R"({"pcap": {"pcap_over_ip_listen": "127.0.0.1:57012"}})",
                          R"({"pcap": {"pcap_over_ip_listen": "10.0.0.1:57012", "pcap_over_ip_allow_remote": true}})",
                          R"({"pcap": {"pcap_over_ip_listen": "[::1]:1", "pcap_over_ip_token": "0123456789abcdef"}})",
                          R"({"pcap": {"pcap_over_ip_token": "short"}})",
                          R"({"pcap": {"pcap_over_ip_token": "0123456789abcdef\nx"}})",
                          R"({"pcap": {"pcap_over_ip_listen": "127.0.0.1"}})", R"({"pcap": {"colour": 1}})",
                          R"({"flow_log_format": "json"})"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_config(bad, "test.json"), ConfigError);
  }
}

}  // namespace
}  // namespace tlsgate

namespace tlsgate {
namespace {

TEST(Config, BlockPageKeys) {
  const Config none = parse_config("{}", "t.json");
  EXPECT_EQ(none.block_page_text, "");
  EXPECT_FALSE(none.block_page_file);
  const Config c = parse_config(
      R"({"block_page_text": "Questions? Call the help desk, 555-0100.", "block_page_file": "/etc/tlsgate/block.html"})",
      "t.json");
  EXPECT_EQ(c.block_page_text, "Questions? Call the help desk, 555-0100.");
  EXPECT_EQ(c.block_page_file, "/etc/tlsgate/block.html");
  for (const char* bad : {R"({"block_page_text": "two\nlines"})", R"({"block_page_text": 5})"}) {
    try {
      parse_config(bad, "t.json");
      FAIL() << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("/block_page_text"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_config(R"({"block_page_text": ")" + std::string(513, 'x') + "\"}", "t.json"), ConfigError);
}

}  // namespace
}  // namespace tlsgate

#include "gateway/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace tlsgate::metrics {
namespace {

double value_of(const std::vector<Family>& families, const std::string& name, const Labels& labels = {}) {
  for (const auto& f : families)
    if (f.name == name)
      for (const auto& s : f.samples)
        if (s.labels == labels) return s.value;
  return -1;
}

TEST(Metrics, FlowEndedCountsActionReasonBytesAndTls) {
  Metrics m;
  FlowSummary f;
  f.action = "intercept";
  f.reason = "policy";
  f.proto = "tls";
  f.from_client = 100;
  f.to_client = 2000;
  f.forged_cache_hit = false;
  f.upstream_resumed = true;
  m.flow_ended(f);
  f.forged_cache_hit = true;
  f.upstream_resumed = false;
  m.flow_ended(f);
  const auto all = m.collect();
  EXPECT_EQ(value_of(all, "tlsgate_flows_total", {{"action", "intercept"}, {"reason", "policy"}}), 2);
  EXPECT_EQ(value_of(all, "tlsgate_flows_by_proto_total", {{"proto", "tls"}, {"action", "intercept"}}), 2);
  EXPECT_EQ(value_of(all, "tlsgate_flow_bytes_total", {{"direction", "from_client"}, {"action", "intercept"}}), 200);
  EXPECT_EQ(value_of(all, "tlsgate_flow_bytes_total", {{"direction", "to_client"}, {"action", "intercept"}}), 4000);
  EXPECT_EQ(value_of(all, "tlsgate_forged_cert_cache_hits_total"), 1);
  EXPECT_EQ(value_of(all, "tlsgate_forged_cert_cache_misses_total"), 1);
  EXPECT_EQ(value_of(all, "tlsgate_upstream_resumptions_total"), 1);
  EXPECT_EQ(value_of(all, "tlsgate_onboard_redirects_total"), 0);
  m.onboard_redirect();
  EXPECT_EQ(value_of(m.collect(), "tlsgate_onboard_redirects_total"), 1);
}

// The texts are the observers' own (http1_observer, h2_observer, exchange_builder).
TEST(Metrics, InspectionStopsCountedByWhy) {
  struct Case {
    const char* error;
    const char* kind;
  };
  const Case cases[] = {
      {"more than 256 header fields in one message (max_header_fields)", "header_fields"},
      {"http1: more than 64 requests without a response", "pipelined"},
      {"h2: more than 512 open streams", "h2_streams"},
      {"http1 request head exceeds max_header_bytes (65536)", "header_bytes"},
      {"more than 262144 header bytes in one exchange", "header_bytes"},
      {"http1 request: bad method", "parse_error"},
  };
  Metrics m;
  FlowSummary f;
  f.action = "intercept";
  f.reason = "policy";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    EXPECT_EQ(inspection_stop_kind(c.error), c.kind);
    f.inspect_error = c.error;
    m.flow_ended(f);
  }
  f.inspect_error = {};
  m.flow_ended(f);  // no error: not counted
  const auto all = m.collect();
  EXPECT_EQ(value_of(all, "tlsgate_http_inspection_stopped_total", {{"why", "header_bytes"}}), 2);
  EXPECT_EQ(value_of(all, "tlsgate_http_inspection_stopped_total", {{"why", "h2_streams"}}), 1);
  EXPECT_EQ(value_of(all, "tlsgate_http_inspection_stopped_total", {{"why", "pipelined"}}), 1);
}

TEST(Metrics, HandshakeFailuresFromReasons) {
  Metrics m;
  const struct {
    const char* reason;
    const char* side;
    const char* kind;
  } cases[] = {{"client_handshake_failed", "client", "handshake_failed"},
               {"client_rejected_certificate", "client", "rejected_certificate"},
               {"upstream_handshake_failed", "upstream", "handshake_failed"},
               {"upstream_cert_invalid", "upstream", "cert_invalid"}};
  auto flow = [](const char* action, const char* reason) {
    FlowSummary f;
    f.action = action;
    f.reason = reason;
    f.proto = "tls";
    return f;
  };
  for (const auto& c : cases) m.flow_ended(flow("tunnel", c.reason));
  m.flow_ended(flow("intercept", "policy"));
  const auto all = m.collect();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    EXPECT_EQ(value_of(all, "tlsgate_handshake_failures_total", {{"side", c.side}, {"kind", c.kind}}), 1);
  }
}

TEST(Metrics, ReloadsQuicAndGauges) {
  Metrics m;
  m.policy_reload(true);
  m.policy_reload(true);
  m.policy_reload(false);
  m.quic_verdict(true);
  m.quic_verdict(false);
  m.quic_verdict(false);
  m.add_gauge("tlsgate_test_gauge", "a gauge", [] { return std::vector<Sample>{Sample{"", {}, 42}}; });
  const auto all = m.collect();
  EXPECT_EQ(value_of(all, "tlsgate_policy_reloads_total", {{"result", "ok"}}), 2);
  EXPECT_EQ(value_of(all, "tlsgate_policy_reloads_total", {{"result", "error"}}), 1);
  EXPECT_EQ(value_of(all, "tlsgate_quic_verdicts_total", {{"verdict", "drop"}}), 2);
  EXPECT_EQ(value_of(all, "tlsgate_test_gauge"), 42);
  EXPECT_NE(m.render_text().find("# TYPE tlsgate_test_gauge gauge\ntlsgate_test_gauge 42\n"), std::string::npos);
}

TEST(Metrics, ScansByMethod) {
  Metrics m;
  m.scan("respmod", "clean", true);
  m.scan("reqmod", "infected", false);
  m.scan("reqmod", "infected", false);
  const auto all = m.collect();
  EXPECT_EQ(value_of(all, "tlsgate_scans_total", {{"method", "reqmod"}, {"result", "infected"}, {"delivered", "no"}}),
            2);
  EXPECT_EQ(value_of(all, "tlsgate_scans_total", {{"method", "respmod"}, {"result", "clean"}, {"delivered", "yes"}}),
            1);
  EXPECT_NE(m.render_text().find("tlsgate_scans_total{method=\"reqmod\",result=\"infected\",delivered=\"no\"} 2\n"),
            std::string::npos);
}

TEST(CounterFamily, CardinalityIsBounded) {
  CounterFamily family({"reason"});
  for (std::size_t i = 0; i < CounterFamily::max_series + 10; ++i) family.add({std::to_string(i)});
  const auto samples = family.samples();
  EXPECT_EQ(samples.size(), CounterFamily::max_series + 1);  // + "other"
  double other = 0;
  for (const auto& s : samples)
    if (s.labels[0].second == "other") other = s.value;
  EXPECT_EQ(other, 10);
}

TEST(CounterFamily, ConcurrentAddsAreAllCounted) {
  CounterFamily family({"action"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&family, t] {
      for (int i = 0; i < 10000; ++i) family.add({t % 2 ? "tunnel" : "intercept"});
    });
  for (auto& t : threads) t.join();
  double total = 0;
  for (const auto& s : family.samples()) total += s.value;
  EXPECT_EQ(total, 40000);
}

}  // namespace
}  // namespace tlsgate::metrics

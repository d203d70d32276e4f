#include "gateway/metrics/status_text.hpp"

#include <gtest/gtest.h>

namespace tlsgate::metrics {
namespace {

TEST(StatusText, TotalsWithBreakdown) {
  const auto text = status_text(parse(
      "tlsgate_build_info{version=\"0.1.0\",openssl=\"x\",boost=\"1.81.0\"} 1\n"
      "tlsgate_active_flows 3\n"
      "tlsgate_flows_total{action=\"intercept\",reason=\"policy\"} 5\n"
      "tlsgate_flows_total{action=\"tunnel\",reason=\"learned_bypass\"} 2\n"
      "tlsgate_flow_bytes_total{direction=\"to_client\",action=\"intercept\"} 3145728\n"
      "tlsgate_log_lines_dropped_total 0\n"
      "tlsgate_worker_active_flows{worker=\"0\"} 1\n"
      "tlsgate_worker_active_flows{worker=\"1\"} 2\n"));
  EXPECT_NE(text.find("tlsgate 0.1.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("active flows: 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("flows ended: 7\n    intercept policy: 5\n    tunnel learned_bypass: 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("bytes relayed: 3.0 MiB\n"), std::string::npos) << text;
  EXPECT_NE(text.find("log lines dropped: 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("active flows per worker: 1 2\n"), std::string::npos) << text;
}

TEST(StatusText, EmptyScrapeShowsZeroFlows) { EXPECT_EQ(status_text({}), "flows ended: 0\nbytes relayed: 0\n"); }

}  // namespace
}  // namespace tlsgate::metrics

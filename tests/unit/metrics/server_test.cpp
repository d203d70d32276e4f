#include "gateway/metrics/server.hpp"

#include <gtest/gtest.h>

namespace tlsgate::metrics {
namespace {

// Whether tlsgate_build_info may carry versions: only for a bind no other host reaches.
TEST(MetricsServer, IsLoopback) {
  struct Case {
    const char* ip;
    bool loopback;
  };
  const Case cases[] = {
      {"127.0.0.1", true},    {"127.1.2.3", true},  {"::1", true},          {"::ffff:127.0.0.1", true},
      {"0.0.0.0", false},     {"::", false},        {"10.0.0.1", false},    {"192.168.1.1", false},
      {"::2", false},         {"fe80::1", false},   {"::ffff:10.0.0.1", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ip);
    EXPECT_EQ(is_loopback(*IpAddress::parse(c.ip)), c.loopback);
  }
}

}  // namespace
}  // namespace tlsgate::metrics

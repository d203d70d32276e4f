#include "gateway/daemon/fd_limit.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

TEST(FdLimit, FitMaxFlows) {
  struct Case {
    const char* name;
    std::size_t configured;
    std::optional<std::size_t> limit;
    std::size_t reserve;
    std::size_t max_flows;
    bool lowered;
  };
  const Case cases[] = {
      {"fits", 1000, 1'048'576, 200, 1000, false},
      {"lowered", 16384, 4096, 154, (4096 - 154) / descriptors_per_flow, true},
      {"no limit configured is lowered too", 0, 4096, 154, (4096 - 154) / descriptors_per_flow, true},
      {"unlimited file limit", 16384, std::nullopt, 154, 16384, false},
      {"unlimited both", 0, std::nullopt, 154, 0, false},
      {"at least one", 16384, 100, 154, 1, true},
      {"exactly fits", 10, 154 + 10 * descriptors_per_flow, 154, 10, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const FlowBudget b = fit_max_flows(c.configured, c.limit, c.reserve);
    EXPECT_EQ(b.max_flows, c.max_flows);
    EXPECT_EQ(b.lowered, c.lowered);
    EXPECT_FALSE(b.note.empty());
    if (c.lowered) {
      EXPECT_NE(b.note.find("lowered to " + std::to_string(c.max_flows)), std::string::npos) << b.note;
    }
  }
}

TEST(FdLimit, ReserveGrowsWithWorkersListenersAndScrapers) {
  Config config;
  const std::size_t one = descriptor_reserve(config, 1);
  EXPECT_GE(one, fixed_descriptor_reserve + config.metrics_max_connections);
  EXPECT_GT(descriptor_reserve(config, 8), one);
  config.listeners.push_back(ListenerConfig{});
  EXPECT_EQ(descriptor_reserve(config, 1), one + 1);
}

}  // namespace
}  // namespace tlsgate

#pragma once
// What all workers share: the config, the flow log, flow ids, and the
// read-mostly snapshots (own addresses; later policy, CA) swapped atomically.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "gateway/config.hpp"
#include "gateway/ip_address.hpp"
#include "gateway/log/flow_log.hpp"

namespace tlsgate {

struct SharedState {
  SharedState(const Config& c, log::FlowLog& l) : config(c), log(l) {}
  const Config& config;
  log::FlowLog& log;
  std::atomic<std::uint64_t> next_flow_id{1};
  // This host's addresses, refreshed periodically: a connection whose original
  // destination is one of them was not redirected to us.
  std::atomic<std::shared_ptr<const std::vector<IpAddress>>> own_addresses;
};

}  // namespace tlsgate

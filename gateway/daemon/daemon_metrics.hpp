#pragma once
// The metrics the daemon reads at scrape time from what others own: workers'
// active flows, the flow log's line counts, the capture's written and dropped
// counts, learned-bypass entries, the policy, the heartbeat, and the build.
// Counted events live in metrics::Metrics.
#include <functional>
#include <memory>
#include <vector>

#include "gateway/flow/shared_state.hpp"

namespace tlsgate {

class Worker;

// Registers the gauges on shared.metrics. Everything referenced must outlive
// the metrics server's last scrape.
void register_daemon_metrics(SharedState& shared, const std::vector<std::unique_ptr<Worker>>& workers,
                             std::function<bool()> healthy);

}  // namespace tlsgate

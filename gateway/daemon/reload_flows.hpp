#pragma once
// A policy reload reaches the running flows: each worker, on its own thread,
// decides its flows again with the new policy (refused_after_reload) and has
// the watchdog of each one it refuses reset both sides (`policy_reload`).
#include <cstddef>
#include <memory>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/daemon/flow_source.hpp"
#include "gateway/flow/decision.hpp"
#include "gateway/metrics/metrics.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate {

struct ReloadReach {
  std::size_t closed = 0;    // flows refused, on the workers that answered
  std::size_t workers = 0;
  std::size_t answered = 0;  // a worker that did not answer within 2 s still closes its flows, uncounted
};

// Run on the control thread (the caller's executor), after `policy` was stored:
// a flow that decides from then on asks the new policy itself. Every closed
// flow is counted in `metrics` (which must outlive the workers' handlers).
awaitable<ReloadReach> refuse_running_flows(std::vector<FlowSource> workers,
                                            std::shared_ptr<const policy::Policy> policy,
                                            DecisionSettings settings, metrics::Metrics& metrics);

}  // namespace tlsgate

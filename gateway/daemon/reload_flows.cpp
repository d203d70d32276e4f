#include "gateway/daemon/reload_flows.hpp"

#include <ctime>

#include "gateway/daemon/ask_workers.hpp"
#include "gateway/flow/reload_decision.hpp"
#include "gateway/policy/time_window.hpp"

namespace tlsgate {

awaitable<ReloadReach> refuse_running_flows(std::vector<FlowSource> workers,
                                            std::shared_ptr<const policy::Policy> policy,
                                            DecisionSettings settings, metrics::Metrics& metrics) {
  ReloadReach reach;
  reach.workers = workers.size();
  const auto ask = [policy, settings, &metrics](FlowRegistry& flows) {
    const auto now = policy::local_minute_of_week(std::time(nullptr));  // `when` windows judge the reload's time
    const std::size_t closed = flows.refuse_where([&](const FlowFacts& facts, const FlowRecord& record) {
      FlowFacts at_reload = facts;
      at_reload.local_time = now;
      return refused_after_reload(*policy, at_reload, record.verdict, settings);
    });
    metrics.reload_closed_flows(closed);
    return closed;
  };
  const auto take = [&reach](std::size_t closed) { reach.closed += closed; };
  // Named, the lambdas too: a capturing temporary in a co_await expression is destroyed twice by
  // GCC 12 (STYLE.md): here that released the policy twice.
  awaitable<std::size_t> asking = ask_every_worker(workers, ask, take);
  reach.answered = co_await std::move(asking);
  co_return reach;
}

}  // namespace tlsgate

#include "gateway/daemon/reload_flows.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <ctime>

#include "gateway/flow/reload_decision.hpp"
#include "gateway/policy/time_window.hpp"

namespace tlsgate {
namespace {

// A worker that has not answered by then is left out of the count (a stalled
// worker is what the heartbeat and /health report).
constexpr auto worker_answer_timeout = std::chrono::seconds(2);

// The answers of the workers, touched on the control thread only.
struct Tally {
  ReloadReach reach;
  asio::steady_timer* done = nullptr;  // null once the reload stopped waiting
};

}  // namespace

awaitable<ReloadReach> refuse_running_flows(std::vector<FlowSource> workers,
                                            std::shared_ptr<const policy::Policy> policy,
                                            DecisionSettings settings, metrics::Metrics& metrics) {
  const auto control = co_await asio::this_coro::executor;
  asio::steady_timer done(control);
  done.expires_after(worker_answer_timeout);
  auto tally = std::make_shared<Tally>();
  tally->reach.workers = workers.size();
  tally->done = &done;
  for (const FlowSource& worker : workers) {
    asio::post(*worker.io, [tally, control, flows = worker.flows, policy, settings, &metrics] {
      const auto now = policy::local_minute_of_week(std::time(nullptr));  // `when` windows judge the reload's time
      const std::size_t closed = flows->refuse_where([&](const FlowFacts& facts, const FlowRecord& record) {
        FlowFacts at_reload = facts;
        at_reload.local_time = now;
        return refused_after_reload(*policy, at_reload, record.verdict, settings);
      });
      metrics.reload_closed_flows(closed);
      asio::post(control, [tally, closed] {
        if (!tally->done) return;  // too late
        ReloadReach& r = tally->reach;
        r.closed += closed;
        if (++r.answered == r.workers) tally->done->cancel();
      });
    });
  }
  if (!workers.empty()) co_await done.async_wait(use_tuple);
  tally->done = nullptr;
  co_return tally->reach;
}

}  // namespace tlsgate

#pragma once
// The control thread asks every worker something about its flows: `ask` runs on each
// worker's own thread (the data path takes no lock), its answer is posted back and folded
// in by `take` on the control thread alone. A worker that has not answered within
// `worker_answer_timeout` is left out (a stalled worker is what the heartbeat and /health
// report); an answer that comes later is dropped. Returns how many workers answered.
#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

#include "gateway/asio.hpp"
#include "gateway/daemon/flow_source.hpp"

namespace tlsgate {

constexpr auto worker_answer_timeout = std::chrono::seconds(2);

// `ask(FlowRegistry&)` -> an answer (copied to the control thread: own its data);
// `take(answer)`: on the caller's executor, only while it still waits.
template <class Ask, class Take>
awaitable<std::size_t> ask_every_worker(const std::vector<FlowSource>& workers, Ask ask, Take take) {
  struct Waiting {
    std::size_t answered = 0;
    asio::steady_timer* done = nullptr;  // null once the caller stopped waiting
    Take* take = nullptr;
  };
  const auto control = co_await asio::this_coro::executor;
  asio::steady_timer done(control);
  done.expires_after(worker_answer_timeout);
  auto waiting = std::make_shared<Waiting>();
  waiting->done = &done;
  waiting->take = &take;
  const std::size_t count = workers.size();
  for (const FlowSource& worker : workers) {
    asio::post(*worker.io, [waiting, control, flows = worker.flows, ask, count] {
      asio::post(control, [waiting, count, answer = ask(*flows)]() mutable {
        if (!waiting->done) return;  // too late
        (*waiting->take)(std::move(answer));
        if (++waiting->answered == count) waiting->done->cancel();
      });
    });
  }
  if (count > 0) co_await done.async_wait(use_tuple);
  waiting->done = nullptr;
  co_return waiting->answered;
}

}  // namespace tlsgate

#pragma once
// A flow's control block and the per-worker registry of running flows. The
// watchdog sleeps on `timer` until the idle deadline; the registry's owner
// (the worker) cancels every timer to end its flows at shutdown. Single
// thread: a registry and its flows live on one io_context.
#include <chrono>
#include <cstddef>
#include <unordered_set>

#include "gateway/asio.hpp"

namespace tlsgate {

struct FlowControl {
  explicit FlowControl(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  bool terminating = false;
  void touch() { last_activity = std::chrono::steady_clock::now(); }
};

class FlowRegistry {
 public:
  void add(FlowControl* flow) {
    flows_.insert(flow);
    if (terminating_) flow->terminating = true;
  }
  void remove(FlowControl* flow) { flows_.erase(flow); }
  // Ends every running flow (and any that registers later) through its watchdog.
  void terminate_all() {
    terminating_ = true;
    for (FlowControl* f : flows_) {
      f->terminating = true;
      f->timer.cancel();
    }
  }
  std::size_t size() const { return flows_.size(); }

 private:
  std::unordered_set<FlowControl*> flows_;
  bool terminating_ = false;
};

// Registers a flow for the lifetime of the flow coroutine.
class FlowRegistration {
 public:
  FlowRegistration(FlowRegistry& registry, FlowControl& flow) : registry_(registry), flow_(flow) {
    registry_.add(&flow_);
  }
  ~FlowRegistration() { registry_.remove(&flow_); }
  FlowRegistration(const FlowRegistration&) = delete;
  FlowRegistration& operator=(const FlowRegistration&) = delete;

 private:
  FlowRegistry& registry_;
  FlowControl& flow_;
};

}  // namespace tlsgate

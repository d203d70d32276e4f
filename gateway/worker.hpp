#pragma once
// One worker thread: its own io_context (concurrency hint 1) and its own
// SO_REUSEPORT listeners, so a connection lives and dies on one thread and
// the data path needs no locks.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"

namespace tlsgate {

struct SharedState;

// Per-flow control block, registered with its worker while the flow runs:
// the watchdog sleeps on `timer` until the idle deadline; the worker cancels
// it to end the flow at shutdown.
struct FlowControl {
  explicit FlowControl(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  bool terminating = false;
  void touch() { last_activity = std::chrono::steady_clock::now(); }
};

class Worker {
 public:
  Worker(SharedState& shared, unsigned index);
  ~Worker();

  // Binds every configured listener (SO_REUSEPORT; IP_TRANSPARENT for TPROXY).
  // Throws std::runtime_error naming the address on failure.
  void open_listeners();
  void start();
  // Thread-safe: posted into the worker.
  void stop_accepting();
  void terminate_flows();
  void stop();
  void join();

  std::size_t active_flows() const { return active_.load(); }
  asio::io_context& io() { return io_; }
  SharedState& shared() { return shared_; }
  unsigned index() const { return index_; }

  void add(FlowControl* flow);
  void remove(FlowControl* flow);
  bool terminating() const { return terminating_; }

 private:
  SharedState& shared_;
  unsigned index_;
  asio::io_context io_{1};
  std::vector<std::pair<std::unique_ptr<tcp::acceptor>, ListenerConfig>> acceptors_;
  std::unordered_set<FlowControl*> flows_;
  std::atomic<std::size_t> active_{0};
  bool terminating_ = false;
  std::thread thread_;
};

// Registers a flow with its worker for the lifetime of the flow coroutine.
class FlowRegistration {
 public:
  FlowRegistration(Worker& worker, FlowControl& flow) : worker_(worker), flow_(flow) { worker_.add(&flow_); }
  ~FlowRegistration() { worker_.remove(&flow_); }
  FlowRegistration(const FlowRegistration&) = delete;
  FlowRegistration& operator=(const FlowRegistration&) = delete;

 private:
  Worker& worker_;
  FlowControl& flow_;
};

}  // namespace tlsgate

#pragma once
// One worker thread: its own io_context (concurrency hint 1), its own
// SO_REUSEPORT listeners and the accept loop that spawns one flow per
// connection, so a connection lives and dies on one thread and the data path
// needs no locks.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"
#include "gateway/flow/flow_watch.hpp"

namespace tlsgate {

struct SharedState;

class Worker {
 public:
  explicit Worker(SharedState& shared);
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
  asio::io_context& io() { return io_; }  // for the heartbeat's no-op posts
  FlowRegistry& flows() { return flows_; }  // used only on io()'s thread

 private:
  awaitable<void> accept_loop(tcp::acceptor& acceptor, ListenerConfig cfg);
  awaitable<void> tracked_flow(tcp::socket socket, RedirectMode mode, std::optional<IpAddress> client);
  bool admit(tcp::socket& socket, std::optional<IpAddress>& client);
  void report_accept_error(std::uint16_t port, const boost::system::error_code& ec);
  awaitable<void> housekeeping();

  SharedState& shared_;
  asio::io_context io_{1};
  std::vector<std::pair<std::unique_ptr<tcp::acceptor>, ListenerConfig>> acceptors_;
  FlowRegistry flows_;
  std::atomic<std::size_t> active_{0};
  std::thread thread_;
  // Worker-thread only:
  std::size_t peak_since_trim_ = 0;
  std::uint64_t accept_errors_ = 0;
  std::chrono::steady_clock::time_point last_accept_report_{};
};

}  // namespace tlsgate

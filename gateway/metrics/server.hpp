#pragma once
// The metrics endpoint (metrics_listen): HTTP/1.1 on its own thread and
// io_context, so scrapes never run on a worker. GET /metrics answers the
// Prometheus text (version 0.0.4); GET /health 200 "ok" while the workers
// answer the heartbeat, 503 otherwise. One request at a time per connection,
// small bounded requests, a short timeout: it is for a local scraper.
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "gateway/asio.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate::metrics {

class Server {
 public:
  using Render = std::function<std::string()>;
  using Healthy = std::function<bool()>;
  // Binds `where` now (before privileges are dropped); throws std::runtime_error naming it.
  Server(const Endpoint& where, Render render, Healthy healthy);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before start(): what /health asks.
  void set_healthy(Healthy healthy) { healthy_ = std::move(healthy); }
  void start();
  void stop();  // idempotent

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);

  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  Render render_;
  Healthy healthy_;
  std::thread thread_;
};

}  // namespace tlsgate::metrics

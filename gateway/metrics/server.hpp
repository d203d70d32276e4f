#pragma once
// The metrics endpoint (metrics_listen): HTTP/1.1 on its own thread and
// io_context, so scrapes never run on a worker. GET /metrics answers the
// Prometheus text (version 0.0.4); GET /health 200 "ok" while the workers
// answer the heartbeat, 503 otherwise. One request at a time per connection,
// small bounded requests, a short timeout, at most `max_connections` served at
// once (more are closed at accept): it is for a local scraper.
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
  Server(const Endpoint& where, std::size_t max_connections, Render render, Healthy healthy);
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
  std::size_t max_connections_;
  std::size_t connections_ = 0;  // served now; only the server's thread touches it
  Render render_;
  Healthy healthy_;
  std::thread thread_;
};

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: only this host can reach such a bind.
bool is_loopback(const IpAddress& ip);

}  // namespace tlsgate::metrics

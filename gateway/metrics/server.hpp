#pragma once
// The metrics endpoint (metrics_listen): HTTP/1.1 on its own thread and
// io_context, so scrapes never run on a worker. GET /metrics answers the
// Prometheus text (version 0.0.4); GET /health 200 "ok" while the workers
// answer the heartbeat, 503 otherwise. One request at a time per connection,
// small bounded requests, a short timeout, at most `max_connections` served at
// once (more are closed at accept): it is for a local scraper.
#include <functional>
#include <string>

#include "gateway/http_endpoint.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate::metrics {

class Server {
 public:
  using Render = std::function<std::string()>;
  using Healthy = std::function<bool()>;
  // Binds `where` now; throws std::runtime_error naming it.
  Server(const Endpoint& where, std::size_t max_connections, Render render, Healthy healthy);

  // Before start(): what /health asks.
  void set_healthy(Healthy healthy) { healthy_ = std::move(healthy); }
  void start() { endpoint_.start(); }
  void stop() { endpoint_.stop(); }  // idempotent

 private:
  Render render_;
  Healthy healthy_;
  HttpEndpoint endpoint_;  // last: its thread calls the members above
};

// True for 127.0.0.0/8 and ::1 (and their IPv4-mapped forms).
bool is_loopback(const IpAddress& ip);

}  // namespace tlsgate::metrics

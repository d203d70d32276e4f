#pragma once
// A small HTTP/1.1 endpoint on its own thread and io_context, for the
// gateway's local services (the metrics endpoint, the CA onboarding page), so
// they never run on a worker. One request at a time per connection, small
// bounded requests, a short timeout, at most `max_connections` served at once
// (more are closed at accept).
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include "gateway/asio.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate {

class HttpEndpoint {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  // Answers one request; runs on the endpoint's thread. An exception closes the
  // connection without an answer.
  using Handler = std::function<Response(const Request&)>;

  // Binds `where` now (before privileges are dropped); throws std::runtime_error
  // starting with `name` (e.g. "metrics_listen [::1]:9101") if it cannot.
  HttpEndpoint(const Endpoint& where, std::string name, std::size_t max_connections, Handler handler);
  ~HttpEndpoint();  // stop()
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  void start();
  void stop();  // idempotent

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);

  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  std::string name_;
  std::size_t max_connections_;
  std::size_t connections_ = 0;  // served now; only the endpoint's thread touches it
  Handler handler_;
  std::thread thread_;
};

}  // namespace tlsgate

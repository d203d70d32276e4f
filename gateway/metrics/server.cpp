#include "gateway/metrics/server.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <stdexcept>

#include "gateway/diag.hpp"

namespace tlsgate::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::size_t max_request_bytes = 8 * 1024;
constexpr const char* prometheus_type = "text/plain; version=0.0.4; charset=utf-8";
// Accept errors repeat as fast as connections arrive: one line per minute.
diag::RateLimiter accept_errors(std::chrono::minutes(1));

http::response<http::string_body> answer(const http::request<http::string_body>& req, const Server::Render& render,
                                         const Server::Healthy& healthy) {
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "tlsgate");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  const auto target = req.target();
  const auto path = target.substr(0, target.find('?'));
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
    res.body() = "only GET\n";
  } else if (path == "/metrics") {
    res.result(http::status::ok);
    res.set(http::field::content_type, prometheus_type);
    res.body() = render();
  } else if (path == "/health") {
    const bool ok = healthy();
    res.result(ok ? http::status::ok : http::status::service_unavailable);
    res.body() = ok ? "ok\n" : "workers not answering\n";
  } else {
    res.result(http::status::not_found);
    res.body() = "try /metrics or /health\n";
  }
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

}  // namespace

bool is_loopback(const IpAddress& ip) {
  const IpAddress plain = ip.unmapped();
  if (plain.is_v4()) return plain.bytes[0] == 127;
  static constexpr std::array<std::uint8_t, 16> v6_loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return plain.bytes == v6_loopback;
}

Server::Server(const Endpoint& where, std::size_t max_connections, Render render, Healthy healthy)
    : acceptor_(io_), max_connections_(max_connections), render_(std::move(render)), healthy_(std::move(healthy)) {
  const tcp::endpoint ep = to_asio(where);
  const std::string name = "metrics_listen [" + where.ip.to_string() + "]:" + std::to_string(where.port);
  boost::system::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(name + ": " + ec.message());
}

Server::~Server() { stop(); }

void Server::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void Server::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

awaitable<void> Server::accept_loop() {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {  // out of descriptors: wait rather than spin
      accept_errors.log(diag::Level::warning, "accept", "metrics endpoint: accept: %s", ec.message().c_str());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    if (connections_ >= max_connections_) {  // a scraper needs one; more is a flood
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++connections_;
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> Server::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(max_request_bytes);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_request_bytes);
    parser.header_limit(max_request_bytes);
    stream.expires_after(request_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) break;
    auto res = answer(parser.get(), render_, healthy_);
    const bool keep = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !keep) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  --connections_;
}

}  // namespace tlsgate::metrics

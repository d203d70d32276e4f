#include "gateway/http_endpoint.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

#include "gateway/diag.hpp"

namespace tlsgate {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::size_t max_request_bytes = 8 * 1024;
// Accept errors repeat as fast as connections arrive: one line per minute.
diag::RateLimiter accept_errors(std::chrono::minutes(1));

}  // namespace

HttpEndpoint::HttpEndpoint(const Endpoint& where, std::string name, std::size_t max_connections, Handler handler)
    : acceptor_(io_), name_(std::move(name)), max_connections_(max_connections), handler_(std::move(handler)) {
  const tcp::endpoint ep = to_asio(where);
  boost::system::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(name_ + ": " + ec.message());
}

HttpEndpoint::~HttpEndpoint() { stop(); }

void HttpEndpoint::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void HttpEndpoint::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

awaitable<void> HttpEndpoint::accept_loop() {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {  // out of descriptors: wait rather than spin
      accept_errors.log(diag::Level::warning, "accept", "%s: accept: %s", name_.c_str(), ec.message().c_str());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    if (connections_ >= max_connections_) {  // a local client needs one or two; more is a flood
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++connections_;
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> HttpEndpoint::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(max_request_bytes);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_request_bytes);
    parser.header_limit(max_request_bytes);
    stream.expires_after(request_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) break;
    Response res;
    try {
      res = handler_(parser.get());
    } catch (const std::exception& e) {
      diag::warning("%s: %s", name_.c_str(), e.what());
      break;
    }
    const bool keep = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !keep) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  --connections_;
}

}  // namespace tlsgate

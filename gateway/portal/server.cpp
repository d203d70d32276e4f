#include "gateway/portal/server.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

#include "gateway/diag.hpp"
#include "gateway/portal/page.hpp"

namespace tlsgate::portal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::size_t max_request_bytes = 8 * 1024;
diag::RateLimiter accept_errors(std::chrono::minutes(1));

http::response<http::string_body> answer(const http::request<http::string_body>& req, const CaFiles& ca,
                                         const std::string& listen_host) {
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "tlsgate");
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  const auto target = req.target();
  const auto path = target.substr(0, target.find('?'));
  const auto file = [&](const std::string& body, const char* type, const char* name) {
    res.result(http::status::ok);
    res.set(http::field::content_type, type);
    res.set(http::field::content_disposition, std::string("attachment; filename=\"") + name + "\"");
    res.body() = body;
  };
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
    res.body() = "only GET\n";
  } else if (path == "/" || path == "/index.html") {
    res.result(http::status::ok);
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.body() = render_page(ca, page_url(req[http::field::host], listen_host));
  } else if (path == pem_path) {
    file(ca.pem, "application/x-pem-file", "tlsgate-ca.pem");
  } else if (path == der_path) {
    file(ca.der, "application/pkix-cert", "tlsgate-ca.cer");
  } else if (path == mobileconfig_path) {
    file(ca.mobileconfig, "application/x-apple-aspen-config", "tlsgate-ca.mobileconfig");
  } else {
    res.result(http::status::not_found);
    res.body() = "not here: the CA is on /\n";
  }
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

std::string host_of(const Endpoint& where) {
  const std::string ip = where.ip.to_string();
  const bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(where.port);
}

}  // namespace

Server::Server(const Endpoint& where, CaFiles ca) : acceptor_(io_), ca_(std::move(ca)), listen_host_(host_of(where)) {
  const tcp::endpoint ep = to_asio(where);
  boost::system::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("portal_listen " + listen_host_ + ": " + ec.message());
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
      accept_errors.log(diag::Level::warning, "accept", "portal: accept: %s", ec.message().c_str());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
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
    http::response<http::string_body> res;
    try {
      res = answer(parser.get(), ca_, listen_host_);
    } catch (const std::exception& e) {  // a QR code that cannot be made: no page rather than no portal
      diag::warning("portal: %s", e.what());
      break;
    }
    const bool keep = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !keep) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace tlsgate::portal

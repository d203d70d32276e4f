#include "gateway/metrics/server.hpp"

#include <boost/beast/http.hpp>

#include <array>

namespace tlsgate::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr const char* prometheus_type = "text/plain; version=0.0.4; charset=utf-8";

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
    : render_(std::move(render)),
      healthy_(std::move(healthy)),
      endpoint_(where, "metrics_listen [" + where.ip.to_string() + "]:" + std::to_string(where.port), max_connections,
                [this](const HttpEndpoint::Request& req) { return answer(req, render_, healthy_); }) {}

}  // namespace tlsgate::metrics

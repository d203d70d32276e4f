#include "gateway/portal/server.hpp"

#include <boost/beast/http.hpp>

#include "gateway/portal/page.hpp"

namespace tlsgate::portal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;


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

// At most a few phones and laptops at once fetch the page; more is a flood.
constexpr std::size_t max_portal_connections = 64;

Server::Server(const Endpoint& where, CaFiles ca)
    : ca_(std::move(ca)),
      listen_host_(host_of(where)),
      endpoint_(where, "portal_listen " + listen_host_, max_portal_connections,
                [this](const HttpEndpoint::Request& req) { return answer(req, ca_, listen_host_); }) {}

}  // namespace tlsgate::portal

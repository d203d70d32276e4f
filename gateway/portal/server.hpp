#pragma once
// The CA onboarding portal (portal_listen): plain HTTP on its own thread and
// io_context, like the metrics endpoint. GET / is the page (portal/page.hpp),
// the download paths the CA as PEM, DER and .mobileconfig. Small bounded
// requests, a short timeout, one request at a time per connection.
#include <string>

#include "gateway/http_endpoint.hpp"
#include "gateway/ip_address.hpp"
#include "gateway/portal/ca_files.hpp"

namespace tlsgate::portal {

class Server {
 public:
  // Binds `where` now (before privileges are dropped); throws std::runtime_error naming it.
  Server(const Endpoint& where, CaFiles ca);

  void start() { endpoint_.start(); }
  void stop() { endpoint_.stop(); }  // idempotent

 private:
  const CaFiles ca_;
  std::string listen_host_;  // the page's URL when a request has no usable Host header
  HttpEndpoint endpoint_;    // last: its thread calls the members above
};

}  // namespace tlsgate::portal

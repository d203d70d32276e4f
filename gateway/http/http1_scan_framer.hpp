#pragma once
// Frames the server's HTTP/1 responses for content scanning: a response whose body is scanned
// is held whole (its bytes as sent, and its payload with the chunked framing removed) until the
// caller has the verdict; everything else passes at once. The client's requests are framed
// too, to know which responses have no body (HEAD) or switch protocols (Upgrade, CONNECT).
// Pure; memory: the held response (its body at most `max_body_bytes` as sent), one partial
// head per side, the heads of requests waiting for their responses.
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/http1_body.hpp"
#include "gateway/http/http1_head.hpp"
#include "gateway/http/http1_partial_head.hpp"
#include "gateway/http/http1_scan_body.hpp"
#include "gateway/http/http1_scan_step.hpp"

namespace tlsgate::http::h1 {

class ScanFramer {
 public:
  explicit ScanFramer(ScanFramerSettings settings);
  ScanFramer(const ScanFramer&) = delete;  // its body framing points at its settings
  ScanFramer& operator=(const ScanFramer&) = delete;

  // The client's bytes in order, as forwarded (before their responses can arrive).
  void from_client(std::string_view bytes);
  // The server's bytes, split anywhere: appends the steps they make to `out`, in order.
  void from_server(std::string_view bytes, std::vector<ScanStep>& out);
  // The server closed: a body that ends with the connection is complete now; a body or head
  // cut short is an overflow step ("closed before the response ended").
  void server_closed(std::vector<ScanStep>& out);
  // Nothing more is forwarded (an overflow without pass_on_overflow).
  bool stopped() const { return body_.stopped(); }

 private:
  struct Request {
    bool head = false, upgrade = false, connect = false;
    std::string head_text;  // start line and Host, for the scan request
  };

  void on_response_head(std::string_view head_bytes, const Head& head, std::vector<ScanStep>& out);
  void request_head(const Head& head);  // a framed request: its response is expected

  ScanFramerSettings settings_;
  PartialHead head_;  // a response head not complete yet
  ScanBody body_;     // the response after its head

  // The client side: requests framed to learn what their responses look like.
  std::deque<Request> requests_;
  PartialHead client_head_;
  BodyFramer client_body_;
  bool client_in_body_ = false;
  bool client_stopped_ = false;  // after a switch request, or bytes that cannot be framed
  bool requests_lost_ = false;   // responses can no longer be matched to requests
};

}  // namespace tlsgate::http::h1

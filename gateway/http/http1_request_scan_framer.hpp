#pragma once
// Frames the client's HTTP/1 requests for content scanning of uploads (REQMOD): a request whose
// body is scanned (Content-Length > 0 or chunked, and a Content-Type the settings scan) is held
// whole, its head included, until the caller has the verdict; every other request passes at
// once. After an Upgrade or CONNECT request what follows may be another protocol: it passes
// unread, as does HTTP/2 with prior knowledge (the h2 preface first). Pure; memory: the held
// request (its body at most `max_body_bytes` as sent) and one partial head.
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/http1_head.hpp"
#include "gateway/http/http1_partial_head.hpp"
#include "gateway/http/http1_scan_body.hpp"
#include "gateway/http/http1_scan_step.hpp"

namespace tlsgate::http::h1 {

// Steps (http1_scan_step.hpp) for requests: every request gives exactly one skipped (`no_body`
// for a request without a body), scan or overflow step. A scan step's `head` is the request head
// as sent, `request_head` its request line and Host alone.
class RequestScanFramer {
 public:
  explicit RequestScanFramer(ScanFramerSettings settings);
  RequestScanFramer(const RequestScanFramer&) = delete;  // its body framing points at its settings
  RequestScanFramer& operator=(const RequestScanFramer&) = delete;

  // The client's bytes in order, split anywhere: appends the steps they make to `out`.
  void from_client(std::string_view bytes, std::vector<ScanStep>& out);
  // The client closed: a request cut short is an overflow step ("closed before the request ended").
  void client_closed(std::vector<ScanStep>& out);
  // Nothing more is forwarded (an overflow without pass_on_overflow).
  bool stopped() const { return body_.stopped(); }

 private:
  // The bytes after the h2 check: heads, bodies.
  void frame(std::string_view bytes, std::vector<ScanStep>& out);

  ScanFramerSettings settings_;
  PartialHead head_;         // a request head not complete yet
  ScanBody body_;            // the request after its head
  bool first_bytes_ = true;  // still the connection's first bytes: an h2 preface would say HTTP/2
  std::string preface_;      // the first bytes while they are the start of an h2 preface
};

}  // namespace tlsgate::http::h1

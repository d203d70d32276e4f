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

#include "gateway/http/exchange.hpp"
#include "gateway/http/http1_body.hpp"
#include "gateway/http/http1_head.hpp"
#include "gateway/http/http1_held_message.hpp"
#include "gateway/http/http1_partial_head.hpp"

namespace tlsgate::http::h1 {

struct ScanFramerSettings {
  std::size_t max_body_bytes = 10u << 20;  // a held body as sent (chunk framing included)
  // Past the bound, or when the bytes cannot be framed: the rest passes unscanned (true), or
  // nothing more does (false: the framer stops and the caller ends the connection).
  bool pass_on_overflow = false;
  HttpLimits limits;  // max_header_bytes, max_header_fields of the heads read
  // Whether a response with this Content-Type value ("" when it has none) is scanned.
  std::function<bool(std::string_view content_type)> scans_content_type;
};

enum class ScanStepKind {
  forward,   // `bytes`: pass them to the client now
  skipped,   // a final response that is not scanned (`reason`); its bytes come in forward steps
  scan,      // a complete held response: `bytes` as sent, `head`, `body` (the payload), `request_head`
  overflow,  // no verdict is possible (`reason`): `bytes` is what was held; see pass_on_overflow
};

// One step; every final response (every request, for RequestScanFramer) gives exactly one
// skipped, scan or overflow step.
struct ScanStep {
  ScanStepKind kind = ScanStepKind::forward;
  std::string bytes;
  std::string head;          // scan: the response head, final CRLF included
  std::string body;          // scan: the payload
  std::string request_head;  // scan: the request's start line and Host, as an HTTP head ("" when unknown)
  std::string reason;        // skipped, overflow: why, one line
  bool no_body = false;      // skipped: the message has no body (reason "no body")
};

class ScanFramer {
 public:
  explicit ScanFramer(ScanFramerSettings settings);

  // The client's bytes in order, as forwarded (before their responses can arrive).
  void from_client(std::string_view bytes);
  // The server's bytes, split anywhere: appends the steps they make to `out`, in order.
  void from_server(std::string_view bytes, std::vector<ScanStep>& out);
  // The server closed: a body that ends with the connection is complete now; a body or head
  // cut short is an overflow step ("closed before the response ended").
  void server_closed(std::vector<ScanStep>& out);
  // Nothing more is forwarded (an overflow without pass_on_overflow).
  bool stopped() const { return state_ == State::stopped; }

 private:
  enum class State { head, pass_body, hold_body, passthrough, stopped };
  struct Request {
    bool head = false, upgrade = false, connect = false;
    std::string head_text;  // start line and Host, for the scan request
  };

  void on_response_head(std::string_view head_bytes, const Head& head, std::vector<ScanStep>& out);
  void hold_done(std::vector<ScanStep>& out);
  // No verdict for what is held (the response held, then `unread`, then `rest`: not framed): an
  // overflow step, then the rest of the response (everything, when `unframable`) passes, or
  // nothing more does.
  void give_up(std::string reason, std::string unread, std::string_view rest, bool unframable,
               std::vector<ScanStep>& out);
  void request_head(const Head& head);  // a framed request: its response is expected

  ScanFramerSettings settings_;
  State state_ = State::head;
  PartialHead head_;  // a response head not complete yet
  HeldMessage hold_;  // the response held for its scan
  BodyFramer body_;   // a body passed as it comes

  // The client side: requests framed to learn what their responses look like.
  std::deque<Request> requests_;
  PartialHead client_head_;
  BodyFramer client_body_;
  bool client_in_body_ = false;
  bool client_stopped_ = false;  // after a switch request, or bytes that cannot be framed
  bool requests_lost_ = false;   // responses can no longer be matched to requests
};

}  // namespace tlsgate::http::h1

#pragma once
// Frames the client's HTTP/1 requests for content scanning of uploads (REQMOD): a request whose
// body is scanned (Content-Length > 0 or chunked, and a Content-Type the settings scan) is held
// whole, its head included, until the caller has the verdict; every other request passes at
// once. After an Upgrade or CONNECT request what follows may be another protocol: it passes
// unread. Pure; memory: the held request (its body at most `max_body_bytes` as sent) and one
// partial head.
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/http1_body.hpp"
#include "gateway/http/http1_head.hpp"
#include "gateway/http/http1_held_message.hpp"
#include "gateway/http/http1_partial_head.hpp"
#include "gateway/http/http1_scan_framer.hpp"

namespace tlsgate::http::h1 {

// Steps as ScanFramer's, for requests: every request gives exactly one skipped (`no_body` for a
// request without a body), scan or overflow step. A scan step's `head` is the request head as
// sent, `request_head` its request line and Host alone.
class RequestScanFramer {
 public:
  explicit RequestScanFramer(ScanFramerSettings settings);

  // The client's bytes in order, split anywhere: appends the steps they make to `out`.
  void from_client(std::string_view bytes, std::vector<ScanStep>& out);
  // The client closed: a request cut short is an overflow step ("closed before the request ended").
  void client_closed(std::vector<ScanStep>& out);
  // Nothing more is forwarded (an overflow without pass_on_overflow).
  bool stopped() const { return state_ == State::stopped; }

 private:
  enum class State { head, pass_body, hold_body, passthrough, stopped };

  void on_request_head(std::string_view head_bytes, const Head& head, std::vector<ScanStep>& out);
  void hold_done(std::vector<ScanStep>& out);
  // A request's body ended (or it had none): the next head, or passthrough after a switch request.
  void request_done() { state_ = switches_ ? State::passthrough : State::head; }
  // The client's first bytes are (so far) the h2 preface: true when they were taken (held, or
  // forwarded with everything after them unread).
  bool starts_h2(std::string_view bytes, std::vector<ScanStep>& out);
  // No verdict for what is held (the request held, then `unread`, then `rest`: not framed): an
  // overflow step, then the rest of the request (everything, when `unframable`) passes, or
  // nothing more does.
  void give_up(std::string reason, std::string unread, std::string_view rest, bool unframable,
               std::vector<ScanStep>& out);

  ScanFramerSettings settings_;
  State state_ = State::head;
  PartialHead head_;  // a request head not complete yet
  HeldMessage hold_;  // the request held for its scan
  BodyFramer body_;   // a body passed as it comes
  bool first_head_ = true;  // nothing read yet: an h2 preface would say HTTP/2
  bool switches_ = false;  // the current request asks for another protocol (Upgrade, CONNECT)
};

}  // namespace tlsgate::http::h1

#pragma once
// One HTTP/1 message held whole for a content scan, the part the response and the request
// framers share: its bytes as sent (forwarded as they are on a clean verdict) and, once its
// body ended, its payload with the chunked framing removed (the ICAP body). Pure; memory: the
// held bytes, bounded by the caller's check of body_bytes() against its max_bytes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/exchange.hpp"
#include "gateway/http/http1_body.hpp"

namespace tlsgate::http::h1 {

class HeldMessage {
 public:
  // Starts holding a message: `head` (its head as sent, final CRLF included) goes to the scan;
  // `keep_head`: it is held too (else it was forwarded already and only the body is held).
  // `request_head`: the request line and Host, for the scan request (may be empty).
  void start(std::string_view head, bool keep_head, BodyFraming framing, std::string request_head,
             const HttpLimits& limits);
  bool holding() const { return holding_; }
  // A body that ends only with the connection (a response without length).
  bool until_close() const { return framing_.kind == BodyKind::until_close; }
  // The request line and Host given to start().
  const std::string& request_head() const { return request_head_; }
  // The body bytes held so far, as sent (chunk framing included).
  std::size_t body_bytes() const { return held_.size() - body_start_; }

  // Holds the bytes of `bytes` that belong to the body (step.used); the rest is not this message's.
  BodyStep consume(std::string_view bytes);
  // The body ended (consume() said done, or the connection closed for until_close): the held
  // bytes, the head and the payload, and stops holding. nullopt when a chunked body cannot be
  // decoded; the bytes then stay held for take_bytes().
  struct Complete {
    std::string bytes;         // as sent: what to forward on a clean verdict
    std::string head;          // the message head
    std::string body;          // the payload
    std::string request_head;  // as given to start()
  };
  std::optional<Complete> complete();
  // Whatever is held, and stops holding.
  std::string take_bytes();
  // Where the body's framing is: the rest of a message given up on passes framed by a copy.
  const BodyFramer& framer() const { return body_; }

 private:
  bool holding_ = false;
  std::string held_;
  std::string head_;
  std::size_t body_start_ = 0;  // where the body starts in held_
  BodyFraming framing_;
  BodyFramer body_;
  std::string request_head_;
};

}  // namespace tlsgate::http::h1

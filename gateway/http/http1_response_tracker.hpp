#pragma once
// Frames the server's HTTP/1 responses (RFC 9112 §6.3: 1xx interim, HEAD, 204 and 304 without
// a body, Content-Length, chunked, close-delimited) and matches them in order to the requests
// the gate forwarded, to learn how a protocol switch (Upgrade, CONNECT) was answered. It
// changes no byte. Pure; memory: one partial head, at most max_pending_requests entries.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/exchange.hpp"
#include "gateway/http/http1_body.hpp"
#include "gateway/http/http1_head.hpp"

namespace tlsgate::http::h1 {

// Forwarded requests waiting for their responses; more is a client the gate refuses to follow.
constexpr std::size_t max_pending_requests = 256;

struct PendingRequest {
  bool head = false;     // HEAD: the response has no body
  bool upgrade = false;  // has an Upgrade field: a 101 switches protocols
  bool connect = false;  // CONNECT: a 2xx makes the connection a tunnel
};

enum class SwitchAnswer {
  none,      // no answer to a switch request in these bytes
  switched,  // 101 (or 2xx to CONNECT): what follows, both ways, is another protocol
  refused,   // a final response that is no switch: the client speaks HTTP/1 on
};

struct TrackStep {
  SwitchAnswer answer = SwitchAnswer::none;
  std::size_t end = 0;  // switched: the offset just past the switching head
  bool h2c = false;     // switched by a 101 whose Upgrade is h2c
};

class ResponseTracker {
 public:
  explicit ResponseTracker(const HttpLimits& limits) : limits_(limits) {}

  void expect(PendingRequest request) { pending_.push_back(request); }
  std::size_t pending() const { return pending_.size(); }

  // Frames `bytes`. After a switch or a loss the tracker reads no more (stopped()).
  TrackStep feed(std::string_view bytes);

  bool stopped() const { return state_ == State::switched || state_ == State::lost; }
  // The responses could not be framed (a malformed head or body, a 101 nobody asked for):
  // the answer to a later switch request cannot be known.
  bool lost() const { return state_ == State::lost; }
  const std::string& lost_reason() const { return lost_reason_; }

 private:
  enum class State { head, body, switched, lost };

  // A complete response head ending at `end` of the current bytes.
  TrackStep on_head(const Head& head, std::size_t end);
  void lose(std::string reason);

  HttpLimits limits_;
  State state_ = State::head;
  std::vector<PendingRequest> pending_;  // oldest first
  std::string held_;                     // a partial response head
  HeadScanner scanner_;
  BodyFramer body_;
  std::string lost_reason_;
};

}  // namespace tlsgate::http::h1

#pragma once
// What the response and the request scan framers share once a message head was read: its body
// passed as it comes, held whole for its scan (HeldMessage, at most max_body_bytes as sent) or
// given up on (past the bound, unframable, cut short: an overflow step, then the rest passes or
// nothing more does, as pass_on_overflow says); and what follows it: the next head, or
// everything unread. Steps as in http1_scan_step.hpp. Pure.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/http/http1_body.hpp"
#include "gateway/http/http1_head.hpp"
#include "gateway/http/http1_held_message.hpp"
#include "gateway/http/http1_partial_head.hpp"
#include "gateway/http/http1_scan_step.hpp"

namespace tlsgate::http::h1 {

// Appends `bytes` to `out` as a forward step (joined with one that ends it).
void forward(std::vector<ScanStep>& out, std::string_view bytes);

using HeadParser = ParseResult<Head, HeadError> (*)(std::string_view bytes, std::size_t start);

class ScanBody {
 public:
  // `what`: "response" or "request", for the reasons ("http1 request: ...", "closed before the
  // request ended"). `settings` must outlive it.
  ScanBody(const ScanFramerSettings& settings, std::string_view what);

  // Between messages: the next bytes are a head.
  bool at_head() const { return state_ == State::head; }
  bool stopped() const { return state_ == State::stopped; }

  // Frames `bytes`: a body's bytes go through consume(); a head is read with `partial` and, once
  // complete and parsed by `parse` (parse_request_head or parse_response_head), handed to
  // `on_head(head bytes, Head)`, which calls message() (or forwards it and decides otherwise).
  // A head that cannot be read or parsed is given up on.
  template <class OnHead>
  void frame(std::string_view bytes, PartialHead& partial, HeadParser parse, OnHead&& on_head,
             std::vector<ScanStep>& out) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      if (state_ != State::head) {
        consume(bytes, pos, out);
        continue;
      }
      PartialHead::Read read = partial.read(bytes.substr(pos), settings_.limits);
      if (read.status == PartialHead::Status::need_more) return;
      if (read.status == PartialHead::Status::error) {
        give_up("http1 " + what_ + ": " + read.detail, partial.take(), {}, true, out);
        return;
      }
      pos += read.used;
      const auto head = parse(read.head, read.start);
      if (head.is_error()) {
        give_up("http1 " + what_ + ": " + head.detail, std::move(read.head), bytes.substr(pos), true, out);
        return;
      }
      on_head(std::string_view(read.head), head.value);
    }
  }
  // A final message's head (as sent) was read: a message without a body passes (skipped, no
  // body), one whose Content-Type is not scanned passes as it comes (skipped), any other is held
  // for its scan (an overflow at once when its Content-Length is past the bound). After it, the
  // next head, or (`then_unread`) everything unread. `request_head`: for the scan step.
  void message(std::string_view head, BodyFraming framing, std::string request_head, bool then_unread,
               std::vector<ScanStep>& out);
  // Everything from here on passes unread (the caller forwarded what came before).
  void pass_unread() { state_ = State::passthrough; }
  // No verdict for what is held (the message held, then `unread`, then `rest`: not framed): an
  // overflow step, then the rest of the message (everything, when `unframable`) passes, or
  // nothing more does.
  void give_up(std::string reason, std::string unread, std::string_view rest, bool unframable,
               std::vector<ScanStep>& out);
  // The connection closed: a body that ends with it is complete now; one cut short, or the
  // start of a head (`partial_head`), is an overflow step.
  void closed(std::string partial_head, std::vector<ScanStep>& out);

 private:
  enum class State { head, pass_body, hold_body, passthrough, stopped };
  // Not at a head: takes what of bytes[pos, end) is this message's (all of it once unread,
  // none once stopped) and advances `pos`.
  void consume(std::string_view bytes, std::size_t& pos, std::vector<ScanStep>& out);
  void hold_done(std::vector<ScanStep>& out);
  // The message's body ended.
  void done() { state_ = then_unread_ ? State::passthrough : State::head; }

  const ScanFramerSettings& settings_;
  std::string what_;
  State state_ = State::head;
  HeldMessage hold_;
  BodyFramer body_;  // a body passed as it comes
  bool then_unread_ = false;
};

}  // namespace tlsgate::http::h1

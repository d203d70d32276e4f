// A message body in a scan framer; see http1_scan_body.hpp.
#include "gateway/http/http1_scan_body.hpp"

#include <utility>

#include "gateway/http/http1_head.hpp"

namespace tlsgate::http::h1 {

void forward(std::vector<ScanStep>& out, std::string_view bytes) {
  if (bytes.empty()) return;
  if (out.empty() || out.back().kind != ScanStepKind::forward) out.push_back(ScanStep{});
  out.back().bytes.append(bytes);
}

ScanBody::ScanBody(const ScanFramerSettings& settings, std::string_view what) : settings_(settings), what_(what) {}

void ScanBody::message(std::string_view head, BodyFraming framing, std::string request_head, bool then_unread,
                       std::vector<ScanStep>& out) {
  then_unread_ = then_unread;
  if (framing.kind == BodyKind::none || (framing.kind == BodyKind::length && framing.length == 0)) {
    out.push_back({ScanStepKind::skipped, {}, {}, {}, {}, "no body", true});
    forward(out, head);
    done();
    return;
  }
  if (settings_.scans_content_type && !settings_.scans_content_type(field_value(head, "content-type"))) {
    out.push_back({ScanStepKind::skipped, {}, {}, {}, {}, "content type not scanned"});
    forward(out, head);
    body_ = BodyFramer(framing, settings_.limits.max_header_bytes, settings_.limits.max_header_fields);
    state_ = State::pass_body;
    return;
  }
  hold_.start(head, true, framing, std::move(request_head), settings_.limits);
  state_ = State::hold_body;
  if (framing.kind == BodyKind::length && framing.length > settings_.max_body_bytes) {
    give_up("body of " + std::to_string(framing.length) + " bytes past max_bytes (" +
                std::to_string(settings_.max_body_bytes) + ")",
            {}, {}, false, out);
  }
}

void ScanBody::consume(std::string_view bytes, std::size_t& pos, std::vector<ScanStep>& out) {
  const std::string_view rest = bytes.substr(pos);
  switch (state_) {
    case State::head: return;
    case State::stopped: pos = bytes.size(); return;
    case State::passthrough:
      forward(out, rest);
      pos = bytes.size();
      return;
    case State::pass_body: {
      const BodyStep step = body_.consume(rest);
      forward(out, rest.substr(0, step.used));
      pos += step.used;
      if (!step.error.empty()) {
        give_up("http1 " + what_ + ": " + step.error, {}, bytes.substr(pos), true, out);
        pos = bytes.size();
      } else if (step.done) {
        done();
      }
      return;
    }
    case State::hold_body: {
      const BodyStep step = hold_.consume(rest);
      pos += step.used;
      if (!step.error.empty()) {
        give_up("http1 " + what_ + ": " + step.error, {}, bytes.substr(pos), true, out);
        pos = bytes.size();
      } else if (hold_.body_bytes() > settings_.max_body_bytes) {
        give_up("body past max_bytes (" + std::to_string(settings_.max_body_bytes) + ")", {}, {}, false, out);
        if (step.done && state_ == State::pass_body) done();
      } else if (step.done) {
        hold_done(out);
      }
      return;
    }
  }
}

void ScanBody::hold_done(std::vector<ScanStep>& out) {
  auto held = hold_.complete();
  if (!held) {
    give_up("http1 " + what_ + ": chunked body could not be decoded", {}, {}, false, out);
    if (state_ == State::pass_body) done();  // the body had ended
    return;
  }
  ScanStep step;
  step.kind = ScanStepKind::scan;
  step.bytes = std::move(held->bytes);
  step.head = std::move(held->head);
  step.body = std::move(held->body);
  step.request_head = std::move(held->request_head);
  out.push_back(std::move(step));
  done();
}

void ScanBody::give_up(std::string reason, std::string unread, std::string_view rest, bool unframable,
                       std::vector<ScanStep>& out) {
  ScanStep step;
  step.kind = ScanStepKind::overflow;
  step.reason = std::move(reason);
  if (state_ == State::hold_body) {
    body_ = hold_.framer();  // the rest of the body may pass from where the hold stopped
    step.request_head = hold_.request_head();
    step.bytes = hold_.take_bytes();
  }
  step.bytes += unread;
  if (!settings_.pass_on_overflow) {
    step.bytes.clear();  // never passed on: the caller ends the connection
    out.push_back(std::move(step));
    state_ = State::stopped;
    return;
  }
  step.bytes.append(rest);
  out.push_back(std::move(step));
  // The rest of this message passes as it comes; after bytes that cannot be framed, everything.
  state_ = unframable ? State::passthrough : State::pass_body;
}

void ScanBody::closed(std::string partial_head, std::vector<ScanStep>& out) {
  if (state_ == State::hold_body && hold_.until_close()) {
    hold_done(out);
  } else if (state_ == State::hold_body || (state_ == State::head && !partial_head.empty())) {
    give_up("closed before the " + what_ + " ended", std::move(partial_head), {}, true, out);
  }
}

}  // namespace tlsgate::http::h1

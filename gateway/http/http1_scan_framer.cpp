// Response framing for content scanning; see http1_scan_framer.hpp.
#include "gateway/http/http1_scan_framer.hpp"

#include <utility>

#include "gateway/http/http1_response_tracker.hpp"

namespace tlsgate::http::h1 {
namespace {

void forward(std::vector<ScanStep>& out, std::string_view bytes) {
  if (bytes.empty()) return;
  if (out.empty() || out.back().kind != ScanStepKind::forward) out.push_back(ScanStep{});
  out.back().bytes.append(bytes);
}

}  // namespace

ScanFramer::ScanFramer(ScanFramerSettings settings) : settings_(std::move(settings)) {}

void ScanFramer::from_client(std::string_view bytes) {
  std::size_t pos = 0;
  while (pos < bytes.size() && !client_stopped_) {
    if (client_in_body_) {
      const BodyStep step = client_body_.consume(bytes.substr(pos));
      pos += step.used;
      if (!step.error.empty()) client_stopped_ = requests_lost_ = true;
      if (step.done) client_in_body_ = false;
      continue;
    }
    const PartialHead::Read read = client_head_.read(bytes.substr(pos), settings_.limits);
    if (read.status == PartialHead::Status::need_more) return;
    if (read.status == PartialHead::Status::error) {
      client_head_.take();
      client_stopped_ = requests_lost_ = true;
      return;
    }
    const auto head = parse_request_head(read.head, read.start);
    pos += read.used;
    if (!head.is_complete() || requests_.size() >= max_pending_requests) {
      client_stopped_ = requests_lost_ = true;
      return;
    }
    request_head(head.value);
    client_body_ = BodyFramer(head.value.body, settings_.limits.max_header_bytes, settings_.limits.max_header_fields);
    client_in_body_ = !client_body_.done();
  }
}

void ScanFramer::request_head(const Head& head) {
  Request r;
  r.head = head.request.method == "HEAD";
  r.connect = head.request.method == "CONNECT";
  r.upgrade = head.upgrade.has_value();
  r.head_text.append(head.request.method).append(" ").append(head.request.target).append(" HTTP/1.1\r\n");
  if (head.host) r.head_text.append("Host: ").append(*head.host).append("\r\n");
  r.head_text += "\r\n";
  // What follows a switch request may be another protocol: not read until it is answered.
  if (r.upgrade || r.connect) client_stopped_ = true;
  requests_.push_back(std::move(r));
}

void ScanFramer::from_server(std::string_view bytes, std::vector<ScanStep>& out) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::string_view rest = bytes.substr(pos);
    switch (state_) {
      case State::stopped:
        return;
      case State::passthrough:
        forward(out, rest);
        return;
      case State::pass_body: {
        const BodyStep step = body_.consume(rest);
        forward(out, rest.substr(0, step.used));
        pos += step.used;
        if (!step.error.empty()) {
          give_up("http1 response: " + step.error, {}, bytes.substr(pos), true, out);
          return;
        }
        if (step.done) state_ = State::head;
        break;
      }
      case State::hold_body: {
        const BodyStep step = hold_.consume(rest);
        pos += step.used;
        if (!step.error.empty()) {
          give_up("http1 response: " + step.error, {}, bytes.substr(pos), true, out);
          return;
        }
        if (hold_.body_bytes() > settings_.max_body_bytes) {
          give_up("body past max_bytes (" + std::to_string(settings_.max_body_bytes) + ")", {}, {}, false, out);
          if (step.done && state_ == State::pass_body) state_ = State::head;
          continue;
        }
        if (step.done) hold_done(out);
        break;
      }
      case State::head: {
        PartialHead::Read read = head_.read(rest, settings_.limits);
        if (read.status == PartialHead::Status::need_more) return;
        if (read.status == PartialHead::Status::error) {
          give_up("http1 response: " + read.detail, head_.take(), {}, true, out);
          return;
        }
        pos += read.used;
        const auto head = parse_response_head(read.head, read.start);
        if (head.is_error()) {
          give_up(std::string("http1 response: ") + head.detail, std::move(read.head), bytes.substr(pos), true, out);
          return;
        }
        on_response_head(read.head, head.value, out);
        break;
      }
    }
  }
}

void ScanFramer::on_response_head(std::string_view head_bytes, const Head& head, std::vector<ScanStep>& out) {
  const int status = head.response.status;
  if (requests_.empty() && requests_lost_) {
    give_up("http1 requests could not be framed", std::string(head_bytes), {}, true, out);
    return;
  }
  const Request request = requests_.empty() ? Request{} : requests_.front();
  if (status == 101 && !request.upgrade) {
    give_up("http1 response: 101 to a request without Upgrade", std::string(head_bytes), {}, true, out);
    return;
  }
  if (status == 101 || (request.connect && status >= 200 && status < 300)) {
    forward(out, head_bytes);  // another protocol follows: not scanned
    state_ = State::passthrough;
    return;
  }
  if (status < 200) {  // interim: the final response follows
    forward(out, head_bytes);
    return;
  }
  if (!requests_.empty()) requests_.pop_front();
  // A refused switch: the client's bytes after it were not read, so later requests are unknown.
  if (request.upgrade || request.connect) requests_lost_ = true;
  BodyFraming framing = head.body;
  if (status == 204 || status == 304 || request.head) framing = {};
  body_ = BodyFramer(framing, settings_.limits.max_header_bytes, settings_.limits.max_header_fields);
  if (framing.kind == BodyKind::none || (framing.kind == BodyKind::length && framing.length == 0)) {
    out.push_back({ScanStepKind::skipped, {}, {}, {}, {}, "no body", true});
    forward(out, head_bytes);
    state_ = State::head;
    return;
  }
  const std::string_view content_type = field_value(head_bytes, "content-type");
  if (settings_.scans_content_type && !settings_.scans_content_type(content_type)) {
    out.push_back({ScanStepKind::skipped, {}, {}, {}, {}, "content type not scanned"});
    forward(out, head_bytes);
    state_ = State::pass_body;
    return;
  }
  hold_.start(head_bytes, true, framing, request.head_text, settings_.limits);
  state_ = State::hold_body;
  if (framing.kind == BodyKind::length && framing.length > settings_.max_body_bytes) {
    give_up("body of " + std::to_string(framing.length) + " bytes past max_bytes (" +
                std::to_string(settings_.max_body_bytes) + ")",
            {}, {}, false, out);
  }
}

void ScanFramer::hold_done(std::vector<ScanStep>& out) {
  auto held = hold_.complete();
  if (!held) {
    give_up("http1 response: chunked body could not be decoded", {}, {}, false, out);
    return;
  }
  ScanStep step;
  step.kind = ScanStepKind::scan;
  step.bytes = std::move(held->bytes);
  step.head = std::move(held->head);
  step.body = std::move(held->body);
  step.request_head = std::move(held->request_head);
  state_ = State::head;
  out.push_back(std::move(step));
}

void ScanFramer::give_up(std::string reason, std::string unread, std::string_view rest, bool unframable,
                         std::vector<ScanStep>& out) {
  ScanStep step;
  step.kind = ScanStepKind::overflow;
  step.reason = std::move(reason);
  if (hold_.holding()) {
    body_ = hold_.framer();  // the rest of the body may pass from where the hold stopped
    step.bytes = hold_.take_bytes();
  }
  step.bytes += unread;
  if (!settings_.pass_on_overflow) {
    step.bytes.clear();  // never delivered: the caller ends the connection
    out.push_back(std::move(step));
    state_ = State::stopped;
    return;
  }
  step.bytes.append(rest);
  out.push_back(std::move(step));
  // The rest of this response passes as it comes; after bytes that cannot be framed, everything.
  state_ = unframable ? State::passthrough : State::pass_body;
}

void ScanFramer::server_closed(std::vector<ScanStep>& out) {
  if (state_ == State::hold_body && hold_.until_close()) {
    hold_done(out);
  } else if (state_ == State::hold_body || (state_ == State::head && head_.holding())) {
    give_up("closed before the response ended", head_.take(), {}, true, out);
  }
}

}  // namespace tlsgate::http::h1

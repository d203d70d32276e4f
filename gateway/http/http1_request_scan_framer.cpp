// Request framing for content scanning of uploads; see http1_request_scan_framer.hpp.
#include "gateway/http/http1_request_scan_framer.hpp"

#include <algorithm>
#include <utility>

namespace tlsgate::http::h1 {
namespace {

void forward(std::vector<ScanStep>& out, std::string_view bytes) {
  if (bytes.empty()) return;
  if (out.empty() || out.back().kind != ScanStepKind::forward) out.push_back(ScanStep{});
  out.back().bytes.append(bytes);
}

// The request line and Host, as a head (the block page's host, the scan's description).
std::string request_line_and_host(const Head& head) {
  std::string out;
  out.append(head.request.method).append(" ").append(head.request.target).append(" HTTP/1.1\r\n");
  if (head.host) out.append("Host: ").append(*head.host).append("\r\n");
  out += "\r\n";
  return out;
}

}  // namespace

RequestScanFramer::RequestScanFramer(ScanFramerSettings settings) : settings_(std::move(settings)) {}

void RequestScanFramer::from_client(std::string_view bytes, std::vector<ScanStep>& out) {
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
          give_up("http1 request: " + step.error, {}, bytes.substr(pos), true, out);
          return;
        }
        if (step.done) request_done();
        break;
      }
      case State::hold_body: {
        const BodyStep step = hold_.consume(rest);
        pos += step.used;
        if (!step.error.empty()) {
          give_up("http1 request: " + step.error, {}, bytes.substr(pos), true, out);
          return;
        }
        if (hold_.body_bytes() > settings_.max_body_bytes) {
          give_up("body past max_bytes (" + std::to_string(settings_.max_body_bytes) + ")", {}, {}, false, out);
          if (step.done && state_ == State::pass_body) request_done();
          continue;
        }
        if (step.done) hold_done(out);
        break;
      }
      case State::head: {
        if (first_head_ && starts_h2(rest, out)) return;
        PartialHead::Read read = head_.read(rest, settings_.limits);
        if (read.status == PartialHead::Status::need_more) return;
        if (read.status == PartialHead::Status::error) {
          give_up("http1 request: " + read.detail, head_.take(), {}, true, out);
          return;
        }
        pos += read.used;
        const auto head = parse_request_head(read.head, read.start);
        if (head.is_error()) {
          give_up(std::string("http1 request: ") + head.detail, std::move(read.head), bytes.substr(pos), true, out);
          return;
        }
        on_request_head(read.head, head.value, out);
        break;
      }
    }
  }
}

bool RequestScanFramer::starts_h2(std::string_view bytes, std::vector<ScanStep>& out) {
  // HTTP/2 with prior knowledge (h2c on an HTTP port) begins with its preface: it passes unread.
  constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::size_t seen = head_.held().size();
  const std::string_view more = bytes.substr(0, h2_preface.size() - std::min(seen, h2_preface.size()));
  const bool matches = h2_preface.starts_with(head_.held()) && h2_preface.substr(seen).starts_with(more);
  if (!matches) {
    first_head_ = false;
    return false;
  }
  if (seen + more.size() < h2_preface.size()) {  // so far a preface, or the start of one
    head_.keep(bytes);
    return true;
  }
  forward(out, head_.take());
  forward(out, bytes);
  state_ = State::passthrough;
  return true;
}

void RequestScanFramer::on_request_head(std::string_view head_bytes, const Head& head, std::vector<ScanStep>& out) {
  switches_ = head.upgrade.has_value() || head.request.method == "CONNECT";
  const BodyFraming framing = head.body;
  if (framing.kind == BodyKind::none || (framing.kind == BodyKind::length && framing.length == 0)) {
    out.push_back({ScanStepKind::skipped, {}, {}, {}, {}, "no body", true});
    forward(out, head_bytes);
    request_done();
    return;
  }
  if (settings_.scans_content_type && !settings_.scans_content_type(field_value(head_bytes, "content-type"))) {
    out.push_back({ScanStepKind::skipped, {}, {}, {}, {}, "content type not scanned"});
    forward(out, head_bytes);
    body_ = BodyFramer(framing, settings_.limits.max_header_bytes, settings_.limits.max_header_fields);
    state_ = State::pass_body;
    return;
  }
  hold_.start(head_bytes, true, framing, request_line_and_host(head), settings_.limits);
  state_ = State::hold_body;
  if (framing.kind == BodyKind::length && framing.length > settings_.max_body_bytes) {
    give_up("body of " + std::to_string(framing.length) + " bytes past max_bytes (" +
                std::to_string(settings_.max_body_bytes) + ")",
            {}, {}, false, out);
  }
}

void RequestScanFramer::hold_done(std::vector<ScanStep>& out) {
  auto held = hold_.complete();
  if (!held) {
    give_up("http1 request: chunked body could not be decoded", {}, {}, false, out);
    if (state_ == State::pass_body) request_done();  // the body had ended
    return;
  }
  ScanStep step;
  step.kind = ScanStepKind::scan;
  step.bytes = std::move(held->bytes);
  step.head = std::move(held->head);
  step.body = std::move(held->body);
  step.request_head = std::move(held->request_head);
  out.push_back(std::move(step));
  request_done();
}

void RequestScanFramer::give_up(std::string reason, std::string unread, std::string_view rest, bool unframable,
                                std::vector<ScanStep>& out) {
  ScanStep step;
  step.kind = ScanStepKind::overflow;
  step.reason = std::move(reason);
  if (hold_.holding()) {
    body_ = hold_.framer();  // the rest of the body may pass from where the hold stopped
    step.request_head = hold_.request_head();
    step.bytes = hold_.take_bytes();
  }
  step.bytes += unread;
  if (!settings_.pass_on_overflow) {
    step.bytes.clear();  // never forwarded: the caller ends the connection
    out.push_back(std::move(step));
    state_ = State::stopped;
    return;
  }
  step.bytes.append(rest);
  out.push_back(std::move(step));
  // The rest of this request passes as it comes; after bytes that cannot be framed, everything.
  state_ = unframable ? State::passthrough : State::pass_body;
}

void RequestScanFramer::client_closed(std::vector<ScanStep>& out) {
  if (state_ == State::hold_body || (state_ == State::head && head_.holding())) {
    give_up("closed before the request ended", head_.take(), {}, true, out);
  }
}

}  // namespace tlsgate::http::h1

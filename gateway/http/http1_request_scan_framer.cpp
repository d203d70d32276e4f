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
          give_up("http1 request: " + step.error, bytes.substr(pos), true, out);
          return;
        }
        if (step.done) request_done();
        break;
      }
      case State::hold_body: {
        const BodyStep step = hold_.consume(rest);
        pos += step.used;
        if (!step.error.empty()) {
          give_up("http1 request: " + step.error, bytes.substr(pos), true, out);
          return;
        }
        if (hold_.body_bytes() > settings_.max_body_bytes) {
          give_up("body past max_bytes (" + std::to_string(settings_.max_body_bytes) + ")", {}, false, out);
          if (step.done && state_ == State::pass_body) request_done();
          continue;
        }
        if (step.done) hold_done(out);
        break;
      }
      case State::head: {
        const std::size_t held_before = held_.size();
        std::string_view data = rest;
        if (held_before > 0) {
          held_.append(rest);
          data = held_;
        }
        if (first_head_) {
          // HTTP/2 with prior knowledge (h2c on an HTTP port) is not read: it passes unscanned.
          constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
          const std::size_t n = std::min(data.size(), h2_preface.size());
          if (data.substr(0, n) == h2_preface.substr(0, n)) {
            if (n < h2_preface.size()) {
              if (held_before == 0) held_.assign(data);
              return;
            }
            forward(out, std::exchange(held_, {}));
            if (held_before == 0) forward(out, rest);
            state_ = State::passthrough;
            return;
          }
          first_head_ = false;
        }
        const auto scan = scanner_.scan(data, settings_.limits.max_header_bytes, settings_.limits.max_header_fields);
        if (scan.is_need_more()) {
          if (held_before == 0) held_.assign(data);
          return;
        }
        if (scan.is_error()) {
          give_up("http1 request: " + scan.detail, held_before > 0 ? std::string_view{} : rest, true, out);
          return;
        }
        std::string head_bytes(data.substr(0, scan.value));
        const std::size_t start = scanner_.start();
        pos += scan.value - held_before;
        held_.clear();
        scanner_ = HeadScanner{};
        const auto head = parse_request_head(head_bytes, start);
        if (head.is_error()) {
          held_ = std::move(head_bytes);
          give_up(std::string("http1 request: ") + head.detail, bytes.substr(pos), true, out);
          return;
        }
        on_request_head(head_bytes, head.value, out);
        break;
      }
    }
  }
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
            {}, false, out);
  }
}

void RequestScanFramer::hold_done(std::vector<ScanStep>& out) {
  auto held = hold_.complete();
  if (!held) {
    give_up("http1 request: chunked body could not be decoded", {}, false, out);
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

void RequestScanFramer::give_up(std::string reason, std::string_view rest, bool unframable,
                                std::vector<ScanStep>& out) {
  ScanStep step;
  step.kind = ScanStepKind::overflow;
  step.reason = std::move(reason);
  if (hold_.holding()) {
    body_ = hold_.framer();  // the rest of the body may pass from where the hold stopped
    step.request_head = hold_.request_head();
    step.bytes = hold_.take_bytes();
  } else {
    step.bytes = std::exchange(held_, {});
  }
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
  if (state_ == State::hold_body || (state_ == State::head && !held_.empty())) {
    give_up("closed before the request ended", {}, true, out);
  }
}

}  // namespace tlsgate::http::h1

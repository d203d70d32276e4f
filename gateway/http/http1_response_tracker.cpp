// Response framing for the request gate; see http1_response_tracker.hpp.
#include "gateway/http/http1_response_tracker.hpp"

namespace tlsgate::http::h1 {

namespace {

// An Upgrade value naming exactly h2c (RFC 9113 §3.2 is obsolete, but servers still answer it).
bool is_h2c(const std::optional<std::string>& upgrade) {
  if (!upgrade) return false;
  std::string_view v = *upgrade;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return token_equals(v, "h2c");
}

}  // namespace

TrackStep ResponseTracker::feed(std::string_view bytes) {
  TrackStep out;
  std::size_t pos = 0;
  while (pos < bytes.size() && !stopped()) {
    if (state_ == State::body) {
      const BodyStep step = body_.consume(bytes.substr(pos));
      pos += step.used;
      if (!step.error.empty()) lose("http1 response: " + step.error);
      if (step.done) state_ = State::head;
      continue;
    }
    // A head: parsed from the bytes in place, or from held_ when it began in an earlier chunk.
    const std::size_t held_before = held_.size();
    std::string_view data = bytes.substr(pos);
    if (held_before > 0) {
      held_.append(data);
      data = held_;
    }
    const auto scan = scanner_.scan(data, limits_.max_header_bytes, limits_.max_header_fields);
    if (scan.is_need_more()) {
      if (held_before == 0) held_.assign(data);
      break;
    }
    if (scan.is_error()) {
      lose("http1 response: " + scan.detail);
      break;
    }
    const auto head = parse_response_head(data.substr(0, scan.value), scanner_.start());
    pos += scan.value - held_before;
    held_.clear();
    scanner_ = HeadScanner{};
    if (head.is_error()) {
      lose(std::string("http1 response: ") + head.detail);
      break;
    }
    const TrackStep step = on_head(head.value, pos);
    if (step.answer != SwitchAnswer::none) out = step;
  }
  return out;
}

TrackStep ResponseTracker::on_head(const Head& head, std::size_t end) {
  const int status = head.response.status;
  const PendingRequest* request = pending_.empty() ? nullptr : &pending_.front();
  TrackStep out;
  if (status == 101) {
    if (request == nullptr || !request->upgrade) {
      lose("http1 response: 101 to a request without Upgrade");
      return out;
    }
    state_ = State::switched;
    return {SwitchAnswer::switched, end, is_h2c(head.upgrade)};
  }
  if (status < 200) {  // interim (100 Continue, 103 Early Hints): the final response follows
    state_ = State::head;
    return out;
  }
  BodyFraming body = head.body;
  if (status == 204 || status == 304 || (request != nullptr && request->head)) body = {};
  if (request != nullptr && request->connect && status < 300) {
    state_ = State::switched;  // RFC 9112 §6.3 item 2: a tunnel right after the head
    return {SwitchAnswer::switched, end, false};
  }
  if (request != nullptr) {
    if (request->upgrade || request->connect) out.answer = SwitchAnswer::refused;
    pending_.erase(pending_.begin());
  }
  body_ = BodyFramer(body, limits_.max_header_bytes, limits_.max_header_fields);
  state_ = body_.done() ? State::head : State::body;
  return out;
}

void ResponseTracker::lose(std::string reason) {
  state_ = State::lost;
  lost_reason_ = std::move(reason);
  held_.clear();
  held_.shrink_to_fit();
}

}  // namespace tlsgate::http::h1

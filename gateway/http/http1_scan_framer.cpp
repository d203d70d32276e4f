// Response framing for content scanning; see http1_scan_framer.hpp.
#include "gateway/http/http1_scan_framer.hpp"

#include <utility>

#include "gateway/http/http1_response_tracker.hpp"

namespace tlsgate::http::h1 {

ScanFramer::ScanFramer(ScanFramerSettings settings) : settings_(std::move(settings)), body_(settings_, "response") {}

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
  body_.frame(
      bytes, head_, parse_response_head,
      [this, &out](std::string_view head_bytes, const Head& head) { on_response_head(head_bytes, head, out); }, out);
}

void ScanFramer::on_response_head(std::string_view head_bytes, const Head& head, std::vector<ScanStep>& out) {
  const int status = head.response.status;
  if (requests_.empty() && requests_lost_) {
    body_.give_up("http1 requests could not be framed", std::string(head_bytes), {}, true, out);
    return;
  }
  const Request request = requests_.empty() ? Request{} : requests_.front();
  if (status == 101 && !request.upgrade) {
    body_.give_up("http1 response: 101 to a request without Upgrade", std::string(head_bytes), {}, true, out);
    return;
  }
  if (status == 101 || (request.connect && status >= 200 && status < 300)) {
    forward(out, head_bytes);  // another protocol follows: not scanned
    body_.pass_unread();
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
  body_.message(head_bytes, framing, request.head_text, false, out);
}

void ScanFramer::server_closed(std::vector<ScanStep>& out) { body_.closed(head_.take(), out); }

}  // namespace tlsgate::http::h1

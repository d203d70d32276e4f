// Request framing for content scanning of uploads; see http1_request_scan_framer.hpp.
#include "gateway/http/http1_request_scan_framer.hpp"

#include <algorithm>
#include <utility>

namespace tlsgate::http::h1 {
namespace {

// The request line and Host, as a head (the block page's host, the withheld request's line).
std::string request_line_and_host(const Head& head) {
  std::string out;
  out.append(head.request.method).append(" ").append(head.request.target);
  out.append(head.request.minor_version == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  if (head.host) out.append("Host: ").append(*head.host).append("\r\n");
  out += "\r\n";
  return out;
}

}  // namespace

RequestScanFramer::RequestScanFramer(ScanFramerSettings settings)
    : settings_(std::move(settings)), body_(settings_, "request") {}

void RequestScanFramer::from_client(std::string_view bytes, std::vector<ScanStep>& out) {
  if (!first_bytes_) {
    frame(bytes, out);
    return;
  }
  // HTTP/2 with prior knowledge (h2c on an HTTP port) begins with its preface: it passes unread.
  constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::size_t n = std::min(bytes.size(), h2_preface.size() - preface_.size());
  if (h2_preface.substr(preface_.size(), n) == bytes.substr(0, n)) {
    if (preface_.size() + n < h2_preface.size()) {  // so far the start of a preface: all of `bytes`
      preface_.append(bytes);
      return;
    }
    first_bytes_ = false;
    forward(out, std::exchange(preface_, {}));
    forward(out, bytes);
    body_.pass_unread();
    return;
  }
  first_bytes_ = false;
  if (preface_.empty()) {
    frame(bytes, out);
    return;
  }
  const std::string all = std::exchange(preface_, {}).append(bytes);
  frame(all, out);
}

void RequestScanFramer::frame(std::string_view bytes, std::vector<ScanStep>& out) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (!body_.at_head()) {
      body_.consume(bytes, pos, out);
      continue;
    }
    PartialHead::Read read = head_.read(bytes.substr(pos), settings_.limits);
    if (read.status == PartialHead::Status::need_more) return;
    if (read.status == PartialHead::Status::error) {
      body_.give_up("http1 request: " + read.detail, head_.take(), {}, true, out);
      return;
    }
    pos += read.used;
    const auto head = parse_request_head(read.head, read.start);
    if (head.is_error()) {
      body_.give_up(std::string("http1 request: ") + head.detail, std::move(read.head), bytes.substr(pos), true, out);
      return;
    }
    // What follows a switch request may be another protocol: it passes unread.
    const bool switches = head.value.upgrade.has_value() || head.value.request.method == "CONNECT";
    body_.message(read.head, head.value.body, request_line_and_host(head.value), switches, out);
  }
}

void RequestScanFramer::client_closed(std::vector<ScanStep>& out) {
  body_.closed(head_.holding() ? head_.take() : std::exchange(preface_, {}), out);
}

}  // namespace tlsgate::http::h1

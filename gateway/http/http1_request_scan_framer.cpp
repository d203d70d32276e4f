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
  body_.frame(
      bytes, head_, parse_request_head,
      [this, &out](std::string_view head_bytes, const Head& head) {
        // What follows a switch request may be another protocol: it passes unread.
        const bool switches = head.upgrade.has_value() || head.request.method == "CONNECT";
        body_.message(head_bytes, head.body, request_line_and_host(head), switches, out);
      },
      out);
}

void RequestScanFramer::client_closed(std::vector<ScanStep>& out) {
  body_.closed(head_.holding() ? head_.take() : std::exchange(preface_, {}), out);
}

}  // namespace tlsgate::http::h1

#include "gateway/flow/relay/request_scanner.hpp"

#include <charconv>

#include "gateway/flow/answered_request_line.hpp"
#include "gateway/flow/http_tap.hpp"

namespace tlsgate {
namespace {

using http::h1::ScanStep;
using http::h1::ScanStepKind;

// The status code of an HTTP/1 response ("HTTP/1.1 403 ..."); 0 when there is none.
int status_of(std::string_view response) {
  int status = 0;
  if (response.size() >= 12) std::from_chars(response.data() + 9, response.data() + 12, status);
  return status;
}

}  // namespace

RequestScanner::RequestScanner(std::shared_ptr<const icap::ScanConfig> config, std::shared_ptr<icap::IcapClient> client,
                               const http::HttpLimits& limits, Context context)
    : stage_(std::move(config), std::move(client), icap::ScanKind::reqmod, context.stage),
      context_(std::move(context)),
      framer_(stage_.framer_settings(limits)) {}

awaitable<ScannedRequest> RequestScanner::scan_client_bytes(std::span<const std::uint8_t> bytes) {
  std::vector<ScanStep> steps;
  if (!closing_) framer_.from_client({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, steps);
  co_return co_await run(std::move(steps));
}

awaitable<ScannedRequest> RequestScanner::client_closed() {
  std::vector<ScanStep> steps;
  client_gone_ = true;
  if (!closing_) framer_.client_closed(steps);
  co_return co_await run(std::move(steps));
}

awaitable<ScannedRequest> RequestScanner::run(std::vector<ScanStep> steps) {
  out_.clear();
  if (!closing_) closing_ = !co_await stage_.carry_out(std::move(steps), out_, *this);
  co_return ScannedRequest{{reinterpret_cast<const std::uint8_t*>(out_.data()), out_.size()}, closing_};
}

bool RequestScanner::carry_out(const ScanOutcome& outcome, const ScanStep& step, std::string& out) {
  const ScanDisposition& d = outcome.disposition;
  if (step.kind == ScanStepKind::skipped && step.no_body) {  // a request without a body: nothing to say
    if (context_.http) context_.http->add_request_scan(std::nullopt);
    return true;
  }
  log::HttpEventScan scan = stage_.report(outcome);
  if (d.deliver) {
    out += step.bytes;  // skipped: empty, its bytes come as forward steps
    if (context_.http) context_.http->add_request_scan(std::move(scan));
    return true;
  }
  if (!client_gone_) reply_ = stage_.reply(d, step);  // else nobody is left to answer
  log_withheld(step, scan);
  return false;
}

void RequestScanner::add_to_summary() {
  if (reply_.empty() || !context_.record) return;
  if (!context_.record->http) context_.record->http = HttpSummary{};
  ++context_.record->http->blocked;
}

void RequestScanner::log_withheld(const ScanStep& step, const log::HttpEventScan& scan) const {
  if (!context_.shared || !context_.record) return;
  // The framer's request line and Host: "METHOD TARGET HTTP/1.x\r\nHost: HOST\r\n\r\n".
  const std::string_view line = std::string_view(step.request_head).substr(0, step.request_head.find("\r\n"));
  const std::size_t space = line.find(' ');
  http::HttpExchange e;
  e.http_version = line.ends_with("HTTP/1.0") ? "1.0" : "1.1";
  if (space != std::string_view::npos) {
    e.method = line.substr(0, space);
    const std::string_view rest = line.substr(space + 1);
    e.path = rest.substr(0, rest.rfind(' '));
  }
  e.scheme = context_.scheme;
  e.authority = host_of(step.request_head);
  if (!reply_.empty()) e.status = status_of(reply_);
  log::HttpEventAction action;
  action.action = "block";
  action.reason = "content_blocked";
  action.rule = &context_.stage.rule;
  action.request_scan = &scan;
  log_answered_request(*context_.shared, *context_.record, e, action);
}

}  // namespace tlsgate

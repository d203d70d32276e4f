#include "gateway/flow/relay/response_scanner.hpp"

#include "gateway/flow/block_page.hpp"
#include "gateway/flow/http_tap.hpp"
#include "gateway/http/http1_gate_response.hpp"
#include "gateway/http/http1_head.hpp"
#include "gateway/metrics/metrics.hpp"

namespace tlsgate {
namespace {

using http::h1::ScanStep;
using http::h1::ScanStepKind;

// The ICAP server's replacement as a response that closes the connection: its status, its
// body as text/html, framed by Content-Length (its own framing described the ICAP body).
// Empty when it sent none, or a head that does not parse.
std::string icap_page(const icap::Verdict& verdict) {
  if (verdict.replacement_head.empty()) return {};
  http::h1::HeadScanner scanner;
  const auto size = scanner.scan(verdict.replacement_head, 64 * 1024, 256);
  if (!size.is_complete()) return {};
  const auto head = http::h1::parse_response_head(std::string_view(verdict.replacement_head).substr(0, size.value),
                                                  scanner.start());
  if (!head.is_complete() || head.value.response.status < 200 || head.value.response.status > 599) return {};
  return "HTTP/1.1 " + std::to_string(head.value.response.status) +
         " Blocked\r\nContent-Type: text/html\r\nCache-Control: no-store\r\nContent-Length: " +
         std::to_string(verdict.replacement_body.size()) + "\r\nConnection: close\r\n\r\n" + verdict.replacement_body;
}

// The Host of a request head the framer made ("" when it had none).
std::string_view host_of(std::string_view request_head) {
  const auto at = request_head.find("\r\nHost: ");
  if (at == std::string_view::npos) return {};
  const auto start = at + 8;
  return request_head.substr(start, request_head.find("\r\n", start) - start);
}

http::h1::ScanFramerSettings framer_settings(const icap::ScanConfig& config, const http::HttpLimits& limits) {
  http::h1::ScanFramerSettings s;
  s.max_body_bytes = config.max_bytes;
  s.pass_on_overflow = config.on_error == icap::ScanConfig::OnError::allow;
  s.limits = limits;
  if (!config.content_types.empty()) {
    s.scans_content_type = [types = config.content_types](std::string_view type) {
      icap::ScanConfig probe;
      probe.content_types = types;
      return probe.scans_content_type(type);
    };
  }
  return s;
}

}  // namespace

ResponseScanner::ResponseScanner(std::shared_ptr<const icap::ScanConfig> config,
                                 std::shared_ptr<icap::IcapClient> client, const http::HttpLimits& limits,
                                 Context context)
    : config_(std::move(config)),
      client_(std::move(client)),
      context_(std::move(context)),
      framer_(framer_settings(*config_, limits)) {}

void ResponseScanner::from_client(std::span<const std::uint8_t> bytes) {
  framer_.from_client({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  if (context_.next) context_.next->from_client(bytes);
}

void ResponseScanner::from_server(std::span<const std::uint8_t> bytes) {
  if (context_.next) context_.next->from_server(bytes);
}

awaitable<ScannedBytes> ResponseScanner::scan_server_bytes(std::span<const std::uint8_t> bytes) {
  std::vector<ScanStep> steps;
  if (!closing_) framer_.from_server({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, steps);
  co_return co_await carry_out(std::move(steps));
}

awaitable<ScannedBytes> ResponseScanner::server_closed() {
  std::vector<ScanStep> steps;
  if (!closing_) framer_.server_closed(steps);
  co_return co_await carry_out(std::move(steps));
}

awaitable<ScannedBytes> ResponseScanner::carry_out(std::vector<ScanStep> steps) {
  out_.clear();
  for (auto& step : steps) {
    if (closing_) break;
    switch (step.kind) {
      case ScanStepKind::forward:
        out_ += step.bytes;
        break;
      case ScanStepKind::skipped:
        report("skipped", {}, 0, step.reason, true, false);
        break;
      case ScanStepKind::overflow: {
        const bool allow = config_->on_error == icap::ScanConfig::OnError::allow;
        report("error", {}, 0, step.reason, allow, true);
        if (allow) out_ += step.bytes;
        else withhold({}, {}, "no scan verdict: " + step.reason);
        break;
      }
      case ScanStepKind::scan:
        co_await scan(step);
        break;
    }
  }
  co_return ScannedBytes{{reinterpret_cast<const std::uint8_t*>(out_.data()), out_.size()}, closing_};
}

awaitable<void> ResponseScanner::scan(ScanStep& step) {
  icap::ScanRequest request;
  request.kind = icap::ScanKind::respmod;
  request.request_head = step.request_head;
  request.response_head = step.head;
  request.body = std::move(step.body);
  const std::string host(host_of(step.request_head));
  const icap::ScanResult result = co_await client_->scan(std::move(request));
  const auto ms = static_cast<std::uint64_t>(result.elapsed.count());
  const icap::Verdict& verdict = result.verdict;
  switch (verdict.outcome) {
    case icap::ScanOutcome::clean:
      report("clean", {}, ms, {}, true, false);
      out_ += step.bytes;
      break;
    case icap::ScanOutcome::infected: {
      report("infected", verdict.threat, ms, {}, false, false);
      std::string page = icap_page(verdict);
      withhold(page.empty() ? std::string{} : std::move(page), host, "infected: " + verdict.threat);
      break;
    }
    case icap::ScanOutcome::error: {
      const bool allow = config_->on_error == icap::ScanConfig::OnError::allow;
      report("error", {}, ms, verdict.detail, allow, true);
      if (allow) out_ += step.bytes;
      else withhold({}, host, "no scan verdict");
      break;
    }
  }
}

void ResponseScanner::withhold(std::string reply, std::string_view host, std::string_view why) {
  if (reply.empty()) {
    reply = http::http1_gate_response(
        {http::RequestAction::block, block_page(host, context_.rule, context_.flow_id, why), {}}, "1.1");
  }
  out_ += reply;
  closing_ = true;
}

void ResponseScanner::report(std::string_view result, std::string_view threat, std::uint64_t ms,
                             std::string_view detail, bool delivered, bool error) {
  if (context_.metrics) context_.metrics->scan(result, delivered);
  if (!context_.http) return;
  log::HttpEventScan scan;
  scan.service = client_->service().uri();
  scan.result = result;
  scan.threat = threat;
  scan.ms = ms;
  scan.detail = detail;
  if (error) scan.on_error = to_string(config_->on_error);
  context_.http->add_scan(std::move(scan));
}

}  // namespace tlsgate

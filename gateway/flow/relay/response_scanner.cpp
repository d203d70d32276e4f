#include "gateway/flow/relay/response_scanner.hpp"

#include "gateway/flow/block_page.hpp"
#include "gateway/flow/http_tap.hpp"
#include "gateway/flow/relay/scan_disposition.hpp"
#include "gateway/flow/relay/scan_report.hpp"
#include "gateway/http/http1_gate_response.hpp"

namespace tlsgate {
namespace {

using http::h1::ScanStep;
using http::h1::ScanStepKind;

// The Host of a request head the framer made ("" when it had none).
std::string_view host_of(std::string_view request_head) {
  const auto at = request_head.find("\r\nHost: ");
  if (at == std::string_view::npos) return {};
  const auto start = at + 8;
  return request_head.substr(start, request_head.find("\r\n", start) - start);
}

http::h1::ScanFramerSettings framer_settings(const std::shared_ptr<const icap::ScanConfig>& config,
                                             const http::HttpLimits& limits) {
  http::h1::ScanFramerSettings s;
  s.max_body_bytes = config->max_bytes;
  s.pass_on_overflow = config->on_error == icap::ScanConfig::OnError::allow;
  s.limits = limits;
  if (!config->content_types.empty()) {
    s.scans_content_type = [config](std::string_view type) { return config->scans_content_type(type); };
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
      framer_(framer_settings(config_, limits)) {}

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
      case ScanStepKind::skipped: {
        ScanDisposition skipped;
        skipped.deliver = true;
        skipped.result = "skipped";
        skipped.detail = step.reason;
        carry_out(skipped, step, 0);
        break;
      }
      case ScanStepKind::overflow:
        // The framer already holds back what follows when on_error blocks.
        carry_out(without_verdict(step.reason, config_->on_error), step, 0);
        break;
      case ScanStepKind::scan:
        co_await scan(step);
        break;
    }
  }
  co_return ScannedBytes{{reinterpret_cast<const std::uint8_t*>(out_.data()), out_.size()}, closing_};
}

awaitable<void> ResponseScanner::scan(ScanStep& step) {
  const icap::ScanResult result =
      co_await scan_response(client_, step.request_head, step.head, std::move(step.body));
  carry_out(disposition_of(result.verdict, config_->on_error), step, static_cast<std::uint64_t>(result.elapsed.count()));
}

void ResponseScanner::carry_out(const ScanDisposition& d, const ScanStep& step, std::uint64_t ms) {
  if (d.deliver) {
    out_ += step.bytes;  // skipped: empty, its bytes come as forward steps
  } else if (!d.reply.empty()) {
    out_ += d.reply;
  } else {
    const std::string why = d.result == "infected" ? "infected: " + d.threat : "no scan verdict: " + d.detail;
    const std::string host(host_of(step.request_head));
    const BlockFacts facts{host, context_.rule, context_.flow_id, why};
    const http::RequestAnswer answer{http::RequestAction::block,
                                     block_page(context_.page ? *context_.page : BlockPageTemplate{}, facts), {}};
    out_ += http::http1_gate_response(answer, "1.1");
  }
  closing_ = closing_ || !d.deliver;
  report_scan(context_, *client_, d, ms);
}

}  // namespace tlsgate

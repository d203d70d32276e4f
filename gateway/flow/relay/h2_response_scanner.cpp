#include "gateway/flow/relay/h2_response_scanner.hpp"

#include "gateway/flow/relay/scan_disposition.hpp"
#include "gateway/flow/relay/scan_report.hpp"

namespace tlsgate {
namespace {

using http::h2::ScanStep;
using http::h2::ScanStepKind;

http::h2::ScanFramerSettings framer_settings(const std::shared_ptr<const icap::ScanConfig>& config,
                                             const http::HttpLimits& limits) {
  http::h2::ScanFramerSettings s;
  s.max_body_bytes = config->max_bytes;
  // The streams of one connection together hold what one HTTP/1 response may: memory per flow
  // stays within the same bound.
  s.max_flow_bytes = config->max_bytes;
  s.pass_on_overflow = config->on_error == icap::ScanConfig::OnError::allow;
  s.limits = limits;
  if (!config->content_types.empty()) {
    s.scans_content_type = [config](std::string_view type) { return config->scans_content_type(type); };
  }
  return s;
}

ScanDisposition skipped(std::string_view why) {
  ScanDisposition d;
  d.deliver = true;
  d.result = "skipped";
  d.detail = why;
  return d;
}

}  // namespace

H2ResponseScanner::H2ResponseScanner(std::shared_ptr<const icap::ScanConfig> config,
                                     std::shared_ptr<icap::IcapClient> client, const http::HttpLimits& limits,
                                     ScanContext context)
    : config_(std::move(config)),
      client_(std::move(client)),
      context_(std::move(context)),
      framer_(framer_settings(config_, limits)) {}

void H2ResponseScanner::from_client(std::span<const std::uint8_t> bytes) {
  std::vector<ScanStep> steps;
  framer_.from_client(bytes, steps);
  // Before the observer sees the reset, so the stream's exchange is logged with it.
  for (const auto& step : steps) report(skipped(step.reason), step.stream_id, 0);
  if (context_.next) context_.next->from_client(bytes);
}

void H2ResponseScanner::from_server(std::span<const std::uint8_t> bytes) {
  if (context_.next) context_.next->from_server(bytes);
}

awaitable<ScannedBytes> H2ResponseScanner::scan_server_bytes(std::span<const std::uint8_t> bytes) {
  std::vector<ScanStep> steps;
  framer_.from_server(bytes, steps);
  co_return co_await carry_out(std::move(steps));
}

awaitable<ScannedBytes> H2ResponseScanner::server_closed() {
  std::vector<ScanStep> steps;
  framer_.server_closed(steps);
  co_return co_await carry_out(std::move(steps));
}

awaitable<ScannedBytes> H2ResponseScanner::carry_out(std::vector<ScanStep> steps) {
  out_.clear();
  for (auto& step : steps) {
    switch (step.kind) {
      case ScanStepKind::forward:
        out_ += step.bytes;
        break;
      case ScanStepKind::skipped:
        report(skipped(step.reason), step.stream_id, 0);
        break;
      case ScanStepKind::overflow:
        report(without_verdict(step.reason, config_->on_error), step.stream_id, 0);
        out_ += step.bytes;  // the held DATA (allow), or the stream's reset (block)
        break;
      case ScanStepKind::scan: {
        const icap::ScanResult result =
            co_await scan_response(client_, std::move(step.request_head), std::move(step.head), std::move(step.body));
        const ScanDisposition d = disposition_of(result.verdict, config_->on_error);
        report(d, step.stream_id, static_cast<std::uint64_t>(result.elapsed.count()));
        out_ += framer_.verdict(step.stream_id, d.deliver);  // withheld: a reset, never the ICAP server's page
        break;
      }
    }
  }
  co_return ScannedBytes{{reinterpret_cast<const std::uint8_t*>(out_.data()), out_.size()}, framer_.stopped()};
}

void H2ResponseScanner::report(const ScanDisposition& d, std::uint32_t stream_id, std::uint64_t ms) {
  report_scan(context_, *client_, d, ms, stream_id);
}

}  // namespace tlsgate

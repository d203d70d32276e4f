#include "gateway/flow/relay/response_scanner.hpp"

#include "gateway/flow/http_tap.hpp"

namespace tlsgate {

using http::h1::ScanStep;

ResponseScanner::ResponseScanner(std::shared_ptr<const icap::ScanConfig> config,
                                 std::shared_ptr<icap::IcapClient> client, const http::HttpLimits& limits,
                                 Context context)
    : stage_(std::move(config), std::move(client), icap::ScanKind::respmod,
             ScanStageContext{std::move(context.rule), context.flow_id, context.metrics, std::move(context.page)}),
      http_(context.http),
      next_(context.next),
      framer_(stage_.framer_settings(limits)) {}

void ResponseScanner::from_client(std::span<const std::uint8_t> bytes) {
  framer_.from_client({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  if (next_) next_->from_client(bytes);
}

void ResponseScanner::from_server(std::span<const std::uint8_t> bytes) {
  if (next_) next_->from_server(bytes);
}

awaitable<ScannedBytes> ResponseScanner::scan_server_bytes(std::span<const std::uint8_t> bytes) {
  std::vector<ScanStep> steps;
  if (!closing_) framer_.from_server({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, steps);
  co_return co_await run(std::move(steps));
}

awaitable<ScannedBytes> ResponseScanner::server_closed() {
  std::vector<ScanStep> steps;
  if (!closing_) framer_.server_closed(steps);
  co_return co_await run(std::move(steps));
}

awaitable<ScannedBytes> ResponseScanner::run(std::vector<ScanStep> steps) {
  out_.clear();
  if (!closing_) closing_ = !co_await stage_.carry_out(std::move(steps), out_, *this);
  co_return ScannedBytes{{reinterpret_cast<const std::uint8_t*>(out_.data()), out_.size()}, closing_};
}

bool ResponseScanner::carry_out(const ScanOutcome& outcome, const ScanStep& step, std::string& out) {
  const ScanDisposition& d = outcome.disposition;
  out += d.deliver ? step.bytes : stage_.reply(d, step);  // skipped: empty, its bytes come as forward steps
  log::HttpEventScan scan = stage_.report(outcome);
  if (http_) http_->add_scan(std::move(scan));
  return d.deliver;
}

}  // namespace tlsgate

#include "gateway/flow/relay_taps.hpp"

#include "gateway/flow/http_limits.hpp"
#include "gateway/flow/relay/h2_response_scanner.hpp"
#include "gateway/flow/relay/icap_clients.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {

RelayTaps::RelayTaps(SharedState& shared, FlowRecord& record, const std::optional<std::string>& alpn)
    : http_(HttpTap::for_tls(shared, record, alpn.value_or("http/1.1"))),
      capture_(capture::FlowCapture::for_tls(shared.capture, record, alpn)),
      tee_(http_.get(), capture_.get()),
      scheme_("https") {}

RelayTaps::RelayTaps(SharedState& shared, FlowRecord& record)
    : http_(HttpTap::for_cleartext(shared, record)),
      capture_(capture::FlowCapture::for_plain_http(shared.capture, record)),
      tee_(http_.get(), capture_.get()),
      scheme_("http") {}

void RelayTaps::scan_responses(SharedState& shared, const FlowRecord& record, const std::optional<std::string>& alpn,
                               asio::any_io_executor executor) {
  if (!record.verdict.rule || !record.verdict.rule->scan || !record.verdict.rule->scan->respmod) return;
  const auto& config = record.verdict.rule->scan;
  const http::HttpLimits limits = http_limits(shared.config);
  ScanContext context{record.verdict.rule->rule, record.flow_id, &shared.metrics, http_.get(), tee_.get(),
                      shared.block_page.load()};
  auto client = icap_client_for(std::move(executor), config->service, shared.config);
  if (alpn == "h2") {
    scanner_ = std::make_unique<H2ResponseScanner>(config, std::move(client), limits, std::move(context));
  } else {
    scanner_ = std::make_unique<ResponseScanner>(config, std::move(client), limits, std::move(context));
  }
}

void RelayTaps::scan_requests(SharedState& shared, FlowRecord& record, const std::optional<std::string>& alpn,
                              asio::any_io_executor executor) {
  if (!record.verdict.rule || !record.verdict.rule->scan || !record.verdict.rule->scan->reqmod) return;
  if (alpn == "h2") return;  // HTTP/2 uploads are not scanned (docs/scanning.md)
  const auto& config = record.verdict.rule->scan;
  const http::HttpLimits limits = http_limits(shared.config);
  RequestScanner::Context context{
      ScanStageContext{record.verdict.rule->rule, record.flow_id, &shared.metrics, shared.block_page.load()},
      http_.get(), &shared, &record, scheme_};
  request_scanner_ = std::make_unique<RequestScanner>(config, icap_client_for(std::move(executor), config->service, shared.config),
                                                      limits, std::move(context));
}

void RelayTaps::finish(bool failed, bool client_ended_first) {
  if (http_) http_->finish();
  if (request_scanner_) request_scanner_->add_to_summary();
  if (capture_) capture_->finish(failed, client_ended_first);
}

}  // namespace tlsgate

#include "gateway/flow/relay_taps.hpp"

#include "gateway/flow/relay/h2_response_scanner.hpp"
#include "gateway/flow/relay/icap_clients.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {

RelayTaps::RelayTaps(SharedState& shared, FlowRecord& record, const std::optional<std::string>& alpn)
    : http_(HttpTap::for_tls(shared, record, alpn.value_or("http/1.1"))),
      capture_(capture::FlowCapture::for_tls(shared.capture, record, alpn)),
      tee_(http_.get(), capture_.get()) {}

RelayTaps::RelayTaps(SharedState& shared, FlowRecord& record)
    : http_(HttpTap::for_cleartext(shared, record)),
      capture_(capture::FlowCapture::for_plain_http(shared.capture, record)),
      tee_(http_.get(), capture_.get()) {}

void RelayTaps::scan_responses(SharedState& shared, const FlowRecord& record, const std::optional<std::string>& alpn,
                               asio::any_io_executor executor) {
  if (!record.verdict.rule || !record.verdict.rule->scan || !record.verdict.rule->scan->respmod) return;
  const auto& config = record.verdict.rule->scan;
  http::HttpLimits limits;
  limits.max_header_bytes = shared.config.http_max_header_bytes;
  limits.max_header_fields = shared.config.http_max_header_fields;
  ScanContext context{record.verdict.rule->rule, record.flow_id, &shared.metrics, http_.get(), tee_.get(),
                      shared.block_page.load()};
  auto client = icap_client_for(std::move(executor), config->service);
  if (alpn == "h2") {
    scanner_ = std::make_unique<H2ResponseScanner>(config, std::move(client), limits, std::move(context));
  } else {
    scanner_ = std::make_unique<ResponseScanner>(config, std::move(client), limits, std::move(context));
  }
}

void RelayTaps::finish(bool failed, bool client_ended_first) {
  if (http_) http_->finish();
  if (capture_) capture_->finish(failed, client_ended_first);
}

}  // namespace tlsgate

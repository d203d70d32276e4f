#include "gateway/flow/relay_taps.hpp"

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

void RelayTaps::finish(bool failed, bool client_ended_first) {
  if (http_) http_->finish();
  if (capture_) capture_->finish(failed, client_ended_first);
}

}  // namespace tlsgate

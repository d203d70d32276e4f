#pragma once
// Connects an HTTP observer to a relay: feeds it the forwarded bytes, writes
// one `"event":"http"` line per finished exchange, and at the end adds the
// flow line's `http` summary (and `inspect_error` when observing failed).
#include <memory>
#include <string>

#include "gateway/flow/header_rule_notes.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/http/observer.hpp"
#include "gateway/flow/relay/relay_tap.hpp"

namespace tlsgate {

struct SharedState;

class HttpTap final : public RelayTap {
 public:
  HttpTap(SharedState& shared, FlowRecord& record, std::unique_ptr<http::Observer> observer);

  // The observer for an intercepted TLS flow (by the negotiated ALPN), or for
  // a plain HTTP port; nullptr when HTTP inspection is off.
  static std::unique_ptr<HttpTap> for_tls(SharedState& shared, FlowRecord& record, const std::string& alpn);
  static std::unique_ptr<HttpTap> for_cleartext(SharedState& shared, FlowRecord& record);

  void from_client(std::span<const std::uint8_t> bytes) override;
  void from_server(std::span<const std::uint8_t> bytes) override;
  // The connection ended: flushes open exchanges and fills the flow line's summary.
  void finish();
  // Where the header rules applied to each request are noted (the flow's request policy, which
  // outlives the relay); each exchange's line lists its request's.
  void show_header_rules(HeaderRuleNotes* notes) { header_rules_ = notes; }

 private:
  void log_exchanges();

  SharedState& shared_;
  FlowRecord& record_;
  std::unique_ptr<http::Observer> observer_;
  HeaderRuleNotes* header_rules_ = nullptr;
  std::string community_id_;
  std::string client_ip_;
  std::string server_ip_;
};

}  // namespace tlsgate

#pragma once
// What content scanning does with one held HTTP/1 message, the same for responses (RESPMOD) and
// request bodies (REQMOD): the framer's settings from the rule, the ICAP exchange, what follows
// from its verdict (ScanDisposition), the client's reply when the message is withheld (the ICAP
// server's page or tlsgate's block page), the scans metric and the `http` line's scan object.
// One per scanning direction of a flow; single thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/flow/block_page.hpp"
#include "gateway/flow/relay/scan_disposition.hpp"
#include "gateway/http/http1_scan_step.hpp"
#include "gateway/icap/icap_client.hpp"
#include "gateway/icap/scan_config.hpp"
#include "gateway/log/events/http_event.hpp"

namespace tlsgate {

namespace metrics {
class Metrics;
}

struct ScanStageContext {
  std::string rule;           // the deciding rule's name (block page)
  std::uint64_t flow_id = 0;  // block page
  metrics::Metrics* metrics = nullptr;
  std::shared_ptr<const BlockPageTemplate> page;  // the operator's block page; null: the built-in one
};

// One message's outcome and how long its ICAP exchange took.
struct ScanOutcome {
  ScanDisposition disposition;
  std::uint64_t ms = 0;
};

class ScanStage {
 public:
  // What a scanner does with each message's outcome.
  class Outcomes {
   public:
    virtual ~Outcomes() = default;
    // Appends what now goes on to `out` (the message's bytes, or a reply in the same direction).
    // False: the connection ends after `out`, and the steps after this one are dropped.
    virtual bool carry_out(const ScanOutcome& outcome, const http::h1::ScanStep& step, std::string& out) = 0;
  };

  // `kind`: RESPMOD scans responses, REQMOD request bodies.
  ScanStage(std::shared_ptr<const icap::ScanConfig> config, std::shared_ptr<icap::IcapClient> client,
            icap::ScanKind kind, ScanStageContext context);

  // The framer's settings: the rule's max_bytes, on_error and content types; `limits` for heads.
  http::h1::ScanFramerSettings framer_settings(const http::HttpLimits& limits) const;

  // A framer's steps in order: forwarded bytes to `out`, each message's outcome (a scan step's
  // body sent to the ICAP service) to `outcomes`. False once one ended the connection. The stage,
  // `out` and `outcomes` must outlive the call.
  awaitable<bool> carry_out(std::vector<http::h1::ScanStep> steps, std::string& out, Outcomes& outcomes);
  // The outcome of a step that ends a message (skipped, overflow, scan); a scan step's body is
  // sent to the ICAP service (moved out of it). The stage must outlive the call.
  awaitable<ScanOutcome> outcome(http::h1::ScanStep& step);
  // The client's answer to a withheld message: the ICAP server's page, or tlsgate's block page
  // naming the request's host; HTTP/1.1 with Connection: close.
  std::string reply(const ScanDisposition& disposition, const http::h1::ScanStep& step) const;
  // Counts the outcome (tlsgate_scans_total) and returns the `http` line's scan object.
  log::HttpEventScan report(const ScanOutcome& outcome) const;

 private:
  std::shared_ptr<const icap::ScanConfig> config_;
  std::shared_ptr<icap::IcapClient> client_;
  icap::ScanKind kind_;
  ScanStageContext context_;
};

// The Host of a request head a framer made ("" when it had none).
std::string_view host_of(std::string_view request_head);

}  // namespace tlsgate

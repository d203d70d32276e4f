#pragma once
// Content scanning of one flow's HTTP/1 request bodies (REQMOD, uploads), an async stage between
// the client (after the request gate) and the server. Only a flow whose rule has `scan` with
// reqmod has one; the relay awaits it for each chunk the client direction forwards, so a flow
// without it pays nothing.
//
// A request with a body that is scanned (rule's content types, by the request's Content-Type)
// is held whole, head included, up to the rule's max_bytes in memory, and goes to the ICAP
// service once complete (payload de-chunked). Clean: its bytes go upstream exactly as they came.
// Infected: never forwarded; the client gets the ICAP server's page (or tlsgate's block page),
// the connection closes, and the request gets an `http` line of its own (action block, reason
// content_blocked). No verdict (service down, timeout, past max_bytes, unframable): the rule's
// on_error, allow (forwarded unscanned) or block (as infected). Each forwarded request's outcome
// goes on its `http` line (`request_scan`; none for a request without a body), and every
// outcome but a missing body into the scans metric.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/flow/relay/scan_stage.hpp"
#include "gateway/http/http1_request_scan_framer.hpp"
#include "gateway/icap/icap_client.hpp"
#include "gateway/icap/scan_config.hpp"
#include "gateway/log/flow_record.hpp"

namespace tlsgate {

class HttpTap;
struct SharedState;

struct ScannedRequest {
  std::span<const std::uint8_t> to_server;  // write these upstream now (valid until the next call)
  bool close = false;  // then end the connection: a request was withheld, reply() goes to the client last
};

class RequestScanner final : private ScanStage::Outcomes {
 public:
  struct Context {
    ScanStageContext stage;
    HttpTap* http = nullptr;        // gets each forwarded request's scan; null when HTTP inspection is off
    SharedState* shared = nullptr;  // the withheld request's own `http` line goes to its log
    FlowRecord* record = nullptr;   // the flow's facts for that line, and its `http.blocked`; outlives the scanner
    std::string scheme;             // that line's scheme: https (intercepted TLS) or http
  };
  RequestScanner(std::shared_ptr<const icap::ScanConfig> config, std::shared_ptr<icap::IcapClient> client,
                 const http::HttpLimits& limits, Context context);

  // The client's bytes as the gate forwards them; what may go upstream now. Awaits the
  // verdicts of requests these bytes complete.
  awaitable<ScannedRequest> scan_client_bytes(std::span<const std::uint8_t> bytes);
  // The client closed: a request cut short follows on_error (allow: what was held goes on;
  // block: its `http` line says so, without a status: no answer is sent).
  awaitable<ScannedRequest> client_closed();
  // The client's answer once a request was withheld (close).
  const std::string& reply() const { return reply_; }
  // The relay ended, after the observer's summary: a withheld request the client was answered
  // for counts in the flow line's `http.blocked` (requests the gateway answered itself).
  void add_to_summary();

 private:
  awaitable<ScannedRequest> run(std::vector<http::h1::ScanStep> steps);
  // One request's outcome: its bytes to `out`, or the reply for the client (a withheld request
  // ends the connection); then the metric and its `http` line's `request_scan`.
  bool carry_out(const ScanOutcome& outcome, const http::h1::ScanStep& step, std::string& out) override;
  void log_withheld(const http::h1::ScanStep& step, const log::HttpEventScan& scan) const;

  ScanStage stage_;
  Context context_;
  http::h1::RequestScanFramer framer_;
  std::string out_;
  std::string reply_;  // empty when the client had gone: a request it left unfinished
  bool closing_ = false;
  bool client_gone_ = false;
};

}  // namespace tlsgate

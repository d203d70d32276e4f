#pragma once
// Content scanning of one flow's HTTP/1 responses (RESPMOD), an async stage between the
// server and the client. Only a flow whose rule has `scan` (with respmod) has one; the relay
// awaits it for each chunk from the server, so a flow without it pays nothing.
//
// A response whose body is scanned (rule's content types) is held whole, up to the rule's
// max_bytes in memory, and goes to the ICAP service once complete (payload de-chunked).
// Clean: its bytes go to the client exactly as the server sent them. Infected: never
// delivered; the client gets the ICAP server's page (or tlsgate's block page) and the
// connection closes. No verdict (service down, timeout, past max_bytes, unframable): the
// rule's on_error, allow (delivered unscanned) or block (as infected). Each final response's
// outcome goes on its `http` line (`scan`) and into the scans metric.
//
// It also watches the client's bytes (as the flow's tap, in front of the other taps) to frame
// the requests: a HEAD response has no body, a 101 switches protocols.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/flow/block_page.hpp"
#include "gateway/flow/relay/scan_stage.hpp"
#include "gateway/flow/relay/server_scanner.hpp"
#include "gateway/http/http1_scan_framer.hpp"
#include "gateway/icap/icap_client.hpp"
#include "gateway/icap/scan_config.hpp"

namespace tlsgate {

class ResponseScanner final : public ServerScanner, private ScanStage::Outcomes {
 public:
  using Context = ScanContext;
  ResponseScanner(std::shared_ptr<const icap::ScanConfig> config, std::shared_ptr<icap::IcapClient> client,
                  const http::HttpLimits& limits, Context context);

  // The server's bytes; what may go to the client now. Awaits the verdicts of responses
  // these bytes complete.
  awaitable<ScannedBytes> scan_server_bytes(std::span<const std::uint8_t> bytes) override;
  // The server closed: a body that ends with the connection is scanned now.
  awaitable<ScannedBytes> server_closed() override;

  // As the relay's tap: the client's bytes frame the requests; everything goes on to `next`.
  void from_client(std::span<const std::uint8_t> bytes) override;
  void from_server(std::span<const std::uint8_t> bytes) override;

 private:
  awaitable<ScannedBytes> run(std::vector<http::h1::ScanStep> steps);
  // One response's outcome: its bytes or the reply (a withheld response ends the connection),
  // then the metric and its `http` line's `scan`.
  bool carry_out(const ScanOutcome& outcome, const http::h1::ScanStep& step, std::string& out) override;

  ScanStage stage_;
  HttpTap* http_;
  RelayTap* next_;
  http::h1::ScanFramer framer_;
  std::string out_;
  bool closing_ = false;
};

}  // namespace tlsgate

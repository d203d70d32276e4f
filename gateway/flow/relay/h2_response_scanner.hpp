#pragma once
// Content scanning of one flow's HTTP/2 responses (RESPMOD), the async stage between the
// server and the client for an h2 flow whose rule scans. The framing and holding are
// http::h2::ScanFramer's (see h2_scan_framer.hpp): every frame but the DATA of a scanned
// response passes at once; a held body goes to the ICAP service once its stream ends.
// Clean: its DATA goes to the client as the server sent it. Infected, or no verdict under
// on_error block: the client gets RST_STREAM (INTERNAL_ERROR) on that stream, and the
// connection's other streams go on. Each final response's outcome goes on its stream's `http`
// line (`scan`) and into the scans metric.
//
// Verdicts are awaited in order: while one body is being scanned, the server's next bytes wait
// in the socket (backpressure), so the other streams resume after that scan.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gateway/flow/relay/scan_disposition.hpp"
#include "gateway/flow/relay/server_scanner.hpp"
#include "gateway/http/h2_scan_framer.hpp"
#include "gateway/icap/icap_client.hpp"
#include "gateway/icap/scan_config.hpp"

namespace tlsgate {

class H2ResponseScanner final : public ServerScanner {
 public:
  H2ResponseScanner(std::shared_ptr<const icap::ScanConfig> config, std::shared_ptr<icap::IcapClient> client,
                    const http::HttpLimits& limits, ScanContext context);

  awaitable<ScannedBytes> scan_server_bytes(std::span<const std::uint8_t> bytes) override;
  awaitable<ScannedBytes> server_closed() override;
  bool to_server_ready() const override { return framer_.to_server_ready(); }
  std::string take_to_server() override { return framer_.take_to_server(); }

  // As the relay's tap: the client's bytes (as they went to the server) carry the requests,
  // the client's windows and its resets; everything goes on to `next`.
  void from_client(std::span<const std::uint8_t> bytes) override;
  void from_server(std::span<const std::uint8_t> bytes) override;

 private:
  awaitable<ScannedBytes> carry_out(std::vector<http::h2::ScanStep> steps);
  void report(const ScanDisposition& disposition, std::uint32_t stream_id, std::uint64_t ms);

  std::shared_ptr<const icap::ScanConfig> config_;
  std::shared_ptr<icap::IcapClient> client_;
  ScanContext context_;
  http::h2::ScanFramer framer_;
  std::string out_;
};

}  // namespace tlsgate

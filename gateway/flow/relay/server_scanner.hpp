#pragma once
// Content scanning of the server's bytes, as the relay drives it: the server direction hands
// each chunk to the scanner and writes what it releases. One kind per protocol: HTTP/1
// (response_scanner) and HTTP/2 (h2_response_scanner). Only a flow whose rule scans has one.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/flow/block_page.hpp"
#include "gateway/flow/relay/relay_tap.hpp"

namespace tlsgate {

class HttpTap;
namespace metrics {
class Metrics;
}

struct ScannedBytes {
  std::span<const std::uint8_t> to_client;  // write these now (valid until the next call)
  bool close = false;                       // then end the connection: content was withheld
};

// What a scanner of one flow reports to and where its tap goes on.
struct ScanContext {
  std::string rule;            // the deciding rule's name (block page)
  std::uint64_t flow_id = 0;   // block page
  metrics::Metrics* metrics = nullptr;
  HttpTap* http = nullptr;     // gets each response's scan; null when HTTP inspection is off
  RelayTap* next = nullptr;    // the flow's other taps; may be null
  std::shared_ptr<const BlockPageTemplate> page;  // the operator's block page; null: the built-in one
};

// Also the flow's tap, in front of the other taps: it sees the client's bytes (requests).
class ServerScanner : public RelayTap {
 public:
  // The server's bytes; what may go to the client now. Awaits the verdicts of responses
  // these bytes complete.
  virtual awaitable<ScannedBytes> scan_server_bytes(std::span<const std::uint8_t> bytes) = 0;
  // The server closed: what a body cut short (or ending with the connection) releases.
  virtual awaitable<ScannedBytes> server_closed() = 0;

  // Frames of the scanner's own for the server (h2: resets of withheld streams, the window their
  // DATA took) that may be written now, where the client's bytes end a frame. Only the client
  // direction writes them: a TLS stream takes one writer at a time.
  virtual bool to_server_ready() const { return false; }
  virtual std::string take_to_server() { return {}; }
  // Set by the server direction when it cancels the client direction's wait for such frames.
  bool wake_client_side = false;
};

}  // namespace tlsgate

#pragma once
// Everything that watches one relay's bytes: the HTTP observer (http events)
// and the decrypted capture (pcap), joined into the one tap the relay calls;
// and, when the flow's rule scans content, the response scanner in front (and the request
// scanner the relay's client direction uses).
#include <memory>
#include <optional>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/capture/flow_capture.hpp"
#include "gateway/flow/http_tap.hpp"
#include "gateway/flow/relay/request_scanner.hpp"
#include "gateway/flow/relay/response_scanner.hpp"

namespace tlsgate {

struct SharedState;

class RelayTaps {
 public:
  // An intercepted TLS flow, by the ALPN the client leg negotiated.
  RelayTaps(SharedState& shared, FlowRecord& record, const std::optional<std::string>& alpn);
  // A plain HTTP flow (observed, or only captured when HTTP inspection is off).
  RelayTaps(SharedState& shared, FlowRecord& record);
  RelayTaps(const RelayTaps&) = delete;
  RelayTaps& operator=(const RelayTaps&) = delete;

  // When the flow's rule scans responses, puts a response scanner in front of the taps: HTTP/2
  // when `alpn` is h2, else HTTP/1. `executor`: the flow's.
  void scan_responses(SharedState& shared, const FlowRecord& record, const std::optional<std::string>& alpn,
                      asio::any_io_executor executor);
  // When the flow's rule scans uploads (reqmod; the client speaks HTTP/1), makes a request
  // scanner for the relay's client direction. `alpn`: nullopt on an HTTP port.
  void scan_requests(SharedState& shared, FlowRecord& record, const std::optional<std::string>& alpn,
                     asio::any_io_executor executor);
  // The tap to hand the relay: null when nothing watches.
  RelayTap* tap() { return scanner_ ? scanner_.get() : tee_.get(); }
  // The scanner to hand the relay; null when the flow is not scanned.
  ServerScanner* scanner() { return scanner_.get(); }
  // The request scanner to hand the relay; null when uploads are not scanned.
  RequestScanner* request_scanner() { return request_scanner_.get(); }
  // The relay ended: flushes the observer's exchanges and closes the capture.
  void finish(bool failed, bool client_ended_first);
  // The http events list the header rules noted there (see HttpTap).
  void show_header_rules(HeaderRuleNotes& notes) {
    if (http_) http_->show_header_rules(&notes);
  }

 private:
  std::unique_ptr<HttpTap> http_;
  std::unique_ptr<capture::FlowCapture> capture_;
  TeeTap tee_;
  std::string scheme_;  // the requests' scheme: https (intercepted TLS) or http
  std::unique_ptr<ServerScanner> scanner_;
  std::unique_ptr<RequestScanner> request_scanner_;
};

}  // namespace tlsgate

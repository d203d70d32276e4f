#pragma once
// One flow's decrypted bytes as synthetic TCP packets, for the capture sink.
// The relay shows it the bytes after forwarding them (through a TeeTap,
// flow/relay/relay_tap). Created when the decision says to capture; finish()
// writes the end (FIN or RST).
#include <memory>
#include <optional>
#include <string>

#include "gateway/capture/tcp_synth.hpp"
#include "gateway/log/flow_record.hpp"

namespace tlsgate::capture {

class CaptureSink;

// Whether this flow is captured: capture is configured (`sink` is not null), and
// the deciding rule's `capture` (or the `pcap.default`) says so.
bool wants_capture(const CaptureSink* sink, const FlowRecord& record);

class FlowCapture final {
 public:
  // The capture of an intercepted TLS flow (its server port shown as
  // `pcap.tls_port_map`, or `h2_port_map` when `alpn` is h2), or of an observed
  // plain HTTP flow (with `pcap.plain_http`); nullptr when it is not captured.
  static std::unique_ptr<FlowCapture> for_tls(CaptureSink* sink, const FlowRecord& record,
                                              const std::optional<std::string>& alpn);
  static std::unique_ptr<FlowCapture> for_plain_http(CaptureSink* sink, const FlowRecord& record);

  // Writes the handshake at `opened`. `server` is the endpoint the packets show.
  FlowCapture(CaptureSink& sink, const Endpoint& client, const Endpoint& server, std::uint64_t flow_id,
              TcpSynth::Time opened);

  void from_client(std::span<const std::uint8_t> bytes);
  void from_server(std::span<const std::uint8_t> bytes);
  // The relay ended: FIN from `client_first`'s side then the other, or a RST.
  // Once; later bytes are ignored.
  void finish(bool reset, bool client_first);

 private:
  void emit(Side from, std::span<const std::uint8_t> bytes);

  CaptureSink& sink_;
  TcpSynth synth_;
  bool finished_ = false;
};

}  // namespace tlsgate::capture

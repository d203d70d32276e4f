#pragma once
// One flow's decrypted bytes as synthetic TCP packets, for the capture sink.
// A BridgeTap: the relay shows it the bytes after forwarding them. Created
// when the decision says to capture; finish() writes the end (FIN or RST).
#include <memory>
#include <optional>
#include <string>

#include "gateway/capture/tcp_synth.hpp"
#include "gateway/flow/relay/bridge_tap.hpp"

namespace tlsgate {
struct SharedState;
struct FlowRecord;
}  // namespace tlsgate

namespace tlsgate::capture {

class CaptureSink;

// Whether this flow is captured: capture is configured, and the deciding
// rule's `capture` (or the `pcap.default`) says so.
bool wants_capture(const SharedState& shared, const FlowRecord& record);

class FlowCapture final : public BridgeTap {
 public:
  // The capture of an intercepted TLS flow (its server port shown as
  // `pcap.tls_port_map`, or `h2_port_map` when `alpn` is h2), or of an observed
  // plain HTTP flow (with `pcap.plain_http`); nullptr when it is not captured.
  static std::unique_ptr<FlowCapture> for_tls(SharedState& shared, const FlowRecord& record,
                                              const std::optional<std::string>& alpn);
  static std::unique_ptr<FlowCapture> for_plain_http(SharedState& shared, const FlowRecord& record);

  // Writes the handshake at `opened`. `server` is the endpoint the packets show.
  FlowCapture(CaptureSink& sink, const Endpoint& client, const Endpoint& server, std::uint64_t flow_id,
              TcpSynth::Time opened);

  void from_client(std::span<const std::uint8_t> bytes) override;
  void from_server(std::span<const std::uint8_t> bytes) override;
  // The relay ended: FIN from `client_first`'s side then the other, or a RST.
  // Once; later bytes are ignored.
  void finish(bool reset, bool client_first);

 private:
  void emit(Side from, std::span<const std::uint8_t> bytes);

  CaptureSink& sink_;
  TcpSynth synth_;
  bool finished_ = false;
};

// Shows a relay's bytes to two taps, in order; either may be null.
class TeeTap final : public BridgeTap {
 public:
  TeeTap(BridgeTap* first, BridgeTap* second) : first_(first), second_(second) {}
  // The tap a relay should get: null when both are, the one when only one is.
  BridgeTap* get() {
    if (!first_ || !second_) return first_ ? first_ : second_;
    return this;
  }
  void from_client(std::span<const std::uint8_t> bytes) override {
    if (first_) first_->from_client(bytes);
    if (second_) second_->from_client(bytes);
  }
  void from_server(std::span<const std::uint8_t> bytes) override {
    if (first_) first_->from_server(bytes);
    if (second_) second_->from_server(bytes);
  }

 private:
  BridgeTap* first_;
  BridgeTap* second_;
};

}  // namespace tlsgate::capture

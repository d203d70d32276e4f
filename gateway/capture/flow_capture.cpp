#include "gateway/capture/flow_capture.hpp"

#include "gateway/capture/capture_sink.hpp"

namespace tlsgate::capture {
namespace {

// Initial sequence numbers: any value works; spread them so flows differ.
std::uint32_t isn(std::uint64_t flow_id, std::uint32_t salt) {
  return static_cast<std::uint32_t>((flow_id + salt) * 2654435761u);
}

}  // namespace

bool wants_capture(const CaptureSink* sink, const FlowRecord& record) {
  if (!sink) return false;
  const bool fallback = sink->config().capture_default;
  if (!record.verdict.rule) return fallback;
  return record.verdict.rule->capture.value_or(fallback);
}

std::unique_ptr<FlowCapture> FlowCapture::for_tls(CaptureSink* sink, const FlowRecord& record,
                                                  const std::optional<std::string>& alpn) {
  if (!wants_capture(sink, record)) return nullptr;
  const CaptureConfig& config = sink->config();
  Endpoint server = record.server;
  const std::uint16_t mapped = alpn == "h2" ? config.h2_port_map : config.tls_port_map;
  if (mapped != 0) server.port = mapped;
  return std::make_unique<FlowCapture>(*sink, record.client, server, record.flow_id, record.start_wall);
}

std::unique_ptr<FlowCapture> FlowCapture::for_plain_http(CaptureSink* sink, const FlowRecord& record) {
  if (!wants_capture(sink, record) || !sink->config().plain_http) return nullptr;
  return std::make_unique<FlowCapture>(*sink, record.client, record.server, record.flow_id,
                                       record.start_wall);
}

FlowCapture::FlowCapture(CaptureSink& sink, const Endpoint& client, const Endpoint& server, std::uint64_t flow_id,
                         TcpSynth::Time opened)
    : sink_(sink), synth_(client, server, isn(flow_id, 1), isn(flow_id, 0x5bd1e995)) {
  std::vector<std::uint8_t> out;
  synth_.open(opened, out);
  sink_.submit(std::move(out));
}

void FlowCapture::emit(Side from, std::span<const std::uint8_t> bytes) {
  if (finished_ || bytes.empty()) return;
  std::vector<std::uint8_t> out;
  // Each segment adds at most 56 bytes of record and headers (plus an ACK every 16).
  out.reserve(bytes.size() + (bytes.size() / synth_.mss() + 2) * 120);
  synth_.data(from, bytes, std::chrono::system_clock::now(), out);
  sink_.submit(std::move(out));
}

void FlowCapture::from_client(std::span<const std::uint8_t> bytes) { emit(Side::client, bytes); }
void FlowCapture::from_server(std::span<const std::uint8_t> bytes) { emit(Side::server, bytes); }

void FlowCapture::finish(bool reset, bool client_first) {
  if (finished_) return;
  finished_ = true;
  std::vector<std::uint8_t> out;
  synth_.close(client_first ? Side::client : Side::server, reset, std::chrono::system_clock::now(), out);
  sink_.submit(std::move(out));
}

}  // namespace tlsgate::capture

#include "gateway/flow/http_port.hpp"

#include <optional>
#include <vector>

#include "gateway/flow/flow_watch.hpp"
#include "gateway/flow/refusal.hpp"
#include "gateway/flow/relay/bridge.hpp"
#include "gateway/flow/relay_taps.hpp"
#include "gateway/flow/request_policy.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/flow/upstream_connect.hpp"

namespace tlsgate {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Reads the client until the gate lets a first request through or refuses one.
// nullopt: the flow ended here (`end` says how).
awaitable<std::optional<http::ClientStep>> first_request(PlainStream& client, http::RequestGate& gate,
                                                         RequestPolicy& requests, FlowWatch& control, FlowEnd& end) {
  std::vector<std::uint8_t> buffer(16 * 1024);
  for (;;) {
    if (!co_await client.wait_readable()) {
      end = FlowEnd{EndBy::client, "cancelled before a request", std::nullopt};
      co_return std::nullopt;
    }
    const auto read = client.try_read(buffer);
    if (!read) continue;
    if (read->status != tls::IoStatus::ok) {
      // Browsers open spare connections and close them unused: not an error.
      end = FlowEnd{EndBy::client, read->status == tls::IoStatus::error ? std::optional(read->error) : std::nullopt,
                    std::nullopt};
      co_return std::nullopt;
    }
    control.touch();
    http::ClientStep step = gate.from_client(std::span<const std::uint8_t>(buffer.data(), read->bytes));
    if (step.error) requests.parse_failed(*step.error);
    if (step.close || !step.to_server.empty()) co_return step;
  }
}

}  // namespace

awaitable<FlowEnd> serve_http_requests(FlowContext& flow, const FlowFacts& facts) {
  SharedState& shared = flow.shared;
  FlowRecord& record = flow.record;
  std::optional<RelayTaps> taps;
  if (record.verdict.action == FlowAction::intercept) {
    taps.emplace(shared, record);
    taps->scan_responses(shared, record, std::nullopt, flow.client.get_executor());
    taps->scan_requests(shared, record, std::nullopt, flow.client.get_executor());
  }
  RelayTap* tap = taps ? taps->tap() : nullptr;
  RequestPolicy requests(shared, record, facts, RequestPath::http_port);
  const auto gate = requests.make_gate(std::nullopt);
  if (taps) taps->show_header_rules(requests.header_rules());
  PlainStream client(flow.client);

  flow.control.enter_relay();  // waiting for a first request: only the idle timeout applies
  FlowEnd end;
  std::optional<http::ClientStep> first = co_await first_request(client, *gate, requests, flow.control, end);
  const auto finish = [&](bool failed, bool client_first) {
    if (taps) taps->finish(failed, client_first);
    requests.add_to_summary();
  };
  if (!first) {
    finish(end.error.has_value(), true);
    co_return end;
  }
  // A refused request ends the connection before the upstream is ever contacted
  // (allowed requests pipelined before it in the same read are refused with it).
  if (first->close) {
    if (!first->to_client.empty()) co_await client.write_all(bytes_of(first->to_client));
    client.shutdown_write();
    finish(false, true);
    co_return FlowEnd{EndBy::client, std::nullopt, EndReason::request_blocked};
  }

  flow.control.enter(FlowPhase::connect, shared.config.connect_timeout);
  const ConnectResult connected = co_await connect_upstream(flow.upstream, record.server, shared.config.connect_timeout,
                                                            shared.config.upstream_mark);
  if (!connected.connected) {
    reset_socket(flow.client);
    finish(true, false);
    co_return FlowEnd{EndBy::error, connected.error, connected.failure};
  }
  flow.control.touch();
  PlainStream upstream(flow.upstream);
  RequestScanner* uploads = taps ? taps->request_scanner() : nullptr;
  std::span<const std::uint8_t> first_bytes = bytes_of(first->to_server);
  if (uploads) {  // the first request's body, too, waits for its verdict
    const ScannedRequest scanned = co_await uploads->scan_client_bytes(first_bytes);
    if (scanned.close) {
      co_await client.write_all(bytes_of(uploads->reply()));
      client.shutdown_write();
      finish(false, true);
      co_return FlowEnd{EndBy::client, std::nullopt, EndReason::content_blocked};
    }
    first_bytes = scanned.to_server;
  }
  const auto sent = co_await upstream.write_all(first_bytes);
  if (sent.status != tls::IoStatus::ok) {
    reset_socket(flow.client);
    finish(true, false);
    co_return FlowEnd{EndBy::server, sent.error, std::nullopt};
  }
  record.from_client += first_bytes.size();
  if (tap) tap->from_client(first_bytes);

  GateLink link(*gate, [&requests](const std::string& error) { requests.parse_failed(error); });
  const RelayEnd out =
      co_await bridge(client, upstream, record, flow.control, tap, &link, taps ? taps->scanner() : nullptr, uploads);
  finish(out.error.has_value(), out.first_end == EndBy::client);
  end = FlowEnd{out.first_end, out.error, out.cause};
  if (out.reset) {
    if (!end.error) end.error = "connection reset";
    reset_socket(flow.client);
    reset_socket(flow.upstream);
  }
  co_return end;
}

}  // namespace tlsgate

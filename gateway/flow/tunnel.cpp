#include "gateway/flow/tunnel.hpp"

#include "gateway/flow/flow_watch.hpp"
#include "gateway/flow/refusal.hpp"
#include "gateway/flow/relay/bridge.hpp"
#include "gateway/flow/relay/splice_tunnel.hpp"
#include "gateway/flow/relay_taps.hpp"
#include "gateway/flow/upstream_connect.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {
namespace {

awaitable<FlowEnd> connect_and_relay(FlowContext& flow, RelayTaps* taps) {
  close_socket(flow.upstream);  // a fresh connection: looking upstream may have used it
  flow.control.enter(FlowPhase::connect, flow.shared.config.connect_timeout);
  const ConnectResult connected =
      co_await connect_upstream(flow.upstream, flow.record.server, flow.shared.config.connect_timeout,
                                flow.shared.config.upstream_mark);
  if (!connected.connected) {
    reset_socket(flow.client);
    if (taps) taps->finish(true, false);
    co_return FlowEnd{EndBy::error, connected.error, connected.failure};
  }
  flow.control.touch();
  RelayEnd out;
  // Scanned bodies wait for their verdicts: relayed in user space.
  if (taps && (taps->scanner() || taps->request_scanner())) {
    PlainStream client(flow.client);
    PlainStream upstream(flow.upstream);
    out = co_await bridge(client, upstream, flow.record, flow.control, taps->tap(), nullptr, taps->scanner(),
                          taps->request_scanner());
  } else {
    out = co_await splice_tunnel(flow.client, flow.upstream, flow.record, flow.control, taps ? taps->tap() : nullptr);
  }
  if (taps) taps->finish(out.error.has_value(), out.first_end == EndBy::client);
  FlowEnd end{out.first_end, out.error, out.cause};
  if (out.reset) {
    // The verdict's reason still explains the action; the reset shows in `end`.
    if (!end.error) end.error = "connection reset";
    reset_socket(flow.client);
    reset_socket(flow.upstream);
  }
  co_return end;
}

}  // namespace

awaitable<FlowEnd> tunnel(FlowContext& flow) {
  FlowEnd end = co_await connect_and_relay(flow, nullptr);
  co_return end;
}

awaitable<FlowEnd> observe(FlowContext& flow) {
  RelayTaps taps(flow.shared, flow.record);
  taps.scan_responses(flow.shared, flow.record, std::nullopt, flow.client.get_executor());
  taps.scan_requests(flow.shared, flow.record, std::nullopt, flow.client.get_executor());
  FlowEnd end = co_await connect_and_relay(flow, &taps);
  co_return end;
}

}  // namespace tlsgate

#include "gateway/flow/steps.hpp"

#include <sys/socket.h>

#include <array>
#include <vector>

#include "gateway/flow/control.hpp"
#include "gateway/flow/relay/splice_tunnel.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/tls/alerts.hpp"

namespace tlsgate {
namespace {

using namespace asio::experimental::awaitable_operators;

EndReason connect_failure(const boost::system::error_code& ec) {
  if (ec == asio::error::connection_refused) return EndReason::upstream_refused;
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) return EndReason::upstream_unreachable;
  if (ec == asio::error::timed_out) return EndReason::upstream_timeout;
  return EndReason::upstream_error;
}

}  // namespace

Verdict decide(FlowContext& flow, const FlowFacts& facts) {
  const DecisionSettings settings{flow.shared.config.upstream_cert_error == UpstreamCertError::reject};
  Verdict verdict = decide_flow(*flow.policy, facts, settings);
  flow.planned = verdict.action;
  if (verdict.decision) flow.record.decision = verdict.decision;
  if (verdict.host) flow.record.host = *verdict.host;
  return verdict;
}

awaitable<FlowOutcome> follow(FlowContext& flow, const Verdict& verdict, std::size_t hello_bytes) {
  const std::string rule = verdict.decision ? verdict.decision->rule : "default";
  switch (verdict.next) {
    case Next::block:
      if (hello_bytes > 0)
        co_return refuse_with_alert(flow, hello_bytes, tls::alert_access_denied, FlowAction::block, verdict.reason,
                                    "blocked by policy rule " + rule);
      co_return refuse_with_reset(flow, FlowAction::block, verdict.reason, "blocked by policy rule " + rule);
    case Next::reject:
      co_return refuse_with_alert(flow, hello_bytes, tls::alert_bad_certificate, FlowAction::reject, verdict.reason,
                                  "upstream certificate failed verification");
    case Next::tunnel: {
      FlowOutcome outcome = co_await tunnel(flow, FlowAction::tunnel, verdict.reason);
      co_return outcome;
    }
    case Next::observe:
    case Next::look_upstream:
    case Next::intercept:
      break;
  }
  // A caller bug: these verdicts need the caller's own step.
  co_return refuse_with_reset(flow, verdict.action, EndReason::internal_error, "verdict not followed");
}

void reset_socket(tcp::socket& s) {
  if (!s.is_open()) return;
  boost::system::error_code ec;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

void close_socket(tcp::socket& s) {
  boost::system::error_code ec;
  if (s.is_open()) s.close(ec);
}

awaitable<ConnectResult> connect_upstream(tcp::socket& upstream, const Endpoint& destination,
                                          std::chrono::milliseconds timeout) {
  asio::steady_timer timer(upstream.get_executor());
  timer.expires_after(timeout);
  auto result = co_await (upstream.async_connect(to_asio(destination), use_tuple) || timer.async_wait(use_tuple));
  if (result.index() == 1)
    co_return ConnectResult{false, EndReason::upstream_timeout,
                            "no answer from upstream within " + std::to_string(timeout.count()) + " ms"};
  const auto [ec] = std::get<0>(result);
  if (ec) co_return ConnectResult{false, connect_failure(ec), ec.message()};
  co_return ConnectResult{true, EndReason::upstream_error, {}};
}

awaitable<FlowOutcome> tunnel(FlowContext& flow, FlowAction action, FlowReason reason, BridgeTap* tap) {
  close_socket(flow.upstream);  // a fresh connection: an intercept attempt may have used it
  flow.control.enter(FlowPhase::connect, flow.shared.config.connect_timeout);
  const ConnectResult connected =
      co_await connect_upstream(flow.upstream, flow.record.server, flow.shared.config.connect_timeout);
  if (!connected.connected) {
    reset_socket(flow.client);
    co_return FlowOutcome{action, connected.failure, EndBy::error, connected.error};
  }
  flow.control.touch();
  const RelayOutcome out = co_await splice_tunnel(flow.client, flow.upstream, flow.record, flow.control, tap);
  FlowOutcome outcome{action, reason, out.first_end, out.error};
  if (out.reset) {
    // The reason keeps explaining the action; the reset shows in `end`.
    if (!outcome.error) outcome.error = "connection reset";
    reset_socket(flow.client);
    reset_socket(flow.upstream);
  }
  co_return outcome;
}

FlowOutcome refuse_with_reset(FlowContext& flow, FlowAction action, FlowReason reason, std::string why) {
  reset_socket(flow.client);
  return FlowOutcome{action, reason, EndBy::error, std::move(why)};
}

FlowOutcome refuse_with_alert(FlowContext& flow, std::size_t hello_bytes, std::uint8_t alert, FlowAction action,
                              FlowReason reason, std::string why) {
  close_socket(flow.upstream);
  const int fd = flow.client.native_handle();
  // Read what was only peeked: closing with unread data would send a reset
  // that can overtake the alert.
  std::vector<std::uint8_t> sink(hello_bytes);
  std::size_t drained = 0;
  while (drained < sink.size()) {
    const ssize_t n = ::recv(fd, sink.data() + drained, sink.size() - drained, MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<std::size_t>(n);
  }
  const std::array<std::uint8_t, 7> record{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alert};  // fatal alert
  [[maybe_unused]] const ssize_t sent = ::send(fd, record.data(), record.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  return FlowOutcome{action, reason, EndBy::error, std::move(why)};
}

}  // namespace tlsgate

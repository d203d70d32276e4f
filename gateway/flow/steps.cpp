#include "gateway/flow/steps.hpp"

#include "gateway/flow/relay/splice_tunnel.hpp"
#include "gateway/flow/control.hpp"

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

awaitable<bool> connect_upstream(tcp::socket& upstream, const Endpoint& destination, FlowRecord& record,
                                 std::chrono::milliseconds timeout) {
  const tcp::endpoint ep = to_asio(destination);
  asio::steady_timer timer(upstream.get_executor());
  timer.expires_after(timeout);
  auto result = co_await (upstream.async_connect(ep, use_tuple) || timer.async_wait(use_tuple));
  record.end_by = EndBy::error;
  if (result.index() == 1) {
    record.set_reason(EndReason::upstream_timeout);
    record.end_error = "no answer from upstream within " + std::to_string(timeout.count()) + " ms";
    co_return false;
  }
  const auto [ec] = std::get<0>(result);
  if (!ec) co_return true;
  record.set_reason(connect_failure(ec));
  record.end_error = ec.message();
  co_return false;
}

awaitable<void> tunnel_to_destination(tcp::socket& client, tcp::socket& upstream, FlowRecord& record,
                                      FlowControl& control, std::chrono::milliseconds connect_timeout,
                                      BridgeTap* tap) {
  record.action = FlowAction::tunnel;
  if (!co_await connect_upstream(upstream, record.server, record, connect_timeout)) {
    reset_socket(client);
    co_return;
  }
  control.touch();
  const RelayOutcome out = co_await splice_tunnel(client, upstream, record, control, tap);
  record.end_by = out.first_end;
  record.end_error = out.error;
  if (out.reset) {
    // The reason keeps explaining the action; the reset shows in `end`.
    if (!record.end_error) record.end_error = "connection reset";
    reset_socket(client);
    reset_socket(upstream);
  }
}

}  // namespace tlsgate

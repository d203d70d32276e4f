#include "gateway/flow/upstream_connect.hpp"

namespace tlsgate {
namespace {

EndReason connect_failure(const boost::system::error_code& ec) {
  if (ec == asio::error::connection_refused) return EndReason::upstream_refused;
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) return EndReason::upstream_unreachable;
  if (ec == asio::error::timed_out) return EndReason::upstream_timeout;
  return EndReason::upstream_error;
}

}  // namespace

awaitable<ConnectResult> connect_upstream(tcp::socket& upstream, const Endpoint& destination,
                                          std::chrono::milliseconds timeout) {
  auto connected = co_await with_timeout(upstream.async_connect(to_asio(destination), use_tuple), timeout);
  if (!connected)
    co_return ConnectResult{false, EndReason::upstream_timeout,
                            "no answer from upstream within " + std::to_string(timeout.count()) + " ms"};
  const auto [ec] = *connected;
  if (ec) co_return ConnectResult{false, connect_failure(ec), ec.message()};
  co_return ConnectResult{true, EndReason::upstream_error, {}};
}

}  // namespace tlsgate

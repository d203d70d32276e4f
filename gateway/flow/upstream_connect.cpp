#include "gateway/flow/upstream_connect.hpp"

#include <sys/socket.h>

#include <cerrno>

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
                                          std::chrono::milliseconds timeout, std::uint32_t mark) {
  const tcp::endpoint to = to_asio(destination);
  if (mark != 0) {
    boost::system::error_code ec;
    if (!upstream.is_open()) upstream.open(to.protocol(), ec);
    if (!ec && ::setsockopt(upstream.native_handle(), SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)
      ec.assign(errno, boost::system::system_category());
    if (ec) co_return ConnectResult{false, EndReason::upstream_error, "upstream_mark (SO_MARK): " + ec.message()};
  }
  auto connected = co_await with_timeout(upstream.async_connect(to, use_tuple), timeout);
  if (!connected)
    co_return ConnectResult{false, EndReason::upstream_timeout,
                            "no answer from upstream within " + std::to_string(timeout.count()) + " ms"};
  const auto [ec] = *connected;
  if (ec) co_return ConnectResult{false, connect_failure(ec), ec.message()};
  co_return ConnectResult{true, EndReason::upstream_error, {}};
}

}  // namespace tlsgate

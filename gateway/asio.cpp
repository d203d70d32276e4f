#include "gateway/asio.hpp"

namespace tlsgate {

tcp::endpoint to_asio(const Endpoint& ep) {
  if (ep.ip.is_v4()) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(ep.ip.bytes.begin(), 4, b.begin());
    return {asio::ip::address_v4(b), ep.port};
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(ep.ip.bytes.begin(), 16, b.begin());
  return {asio::ip::address_v6(b), ep.port};
}

awaitable<bool> cancelled() {
  const auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace tlsgate

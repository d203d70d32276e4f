#pragma once
// The Asio names the data path uses, and the conversion from the socket-free
// Endpoint type of pure code to an Asio endpoint.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/ip_address.hpp"

namespace tlsgate {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

tcp::endpoint to_asio(const Endpoint& ep);

// True once the awaiting coroutine has been asked to stop (by `||` or `&&`).
awaitable<bool> cancelled();

// The one way a step races a clock: runs `op`, giving up at `deadline`
// (nullopt); giving up cancels `op`, which must then complete promptly.
template <class T>
awaitable<std::optional<T>> with_deadline(awaitable<T> op, std::chrono::steady_clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(deadline);
  auto result = co_await (std::move(op) || timer.async_wait(use_tuple));
  if (result.index() == 1) co_return std::nullopt;
  co_return std::get<0>(std::move(result));
}

template <class T>
awaitable<std::optional<T>> with_timeout(awaitable<T> op, std::chrono::milliseconds timeout) {
  return with_deadline(std::move(op), std::chrono::steady_clock::now() + timeout);
}

}  // namespace tlsgate

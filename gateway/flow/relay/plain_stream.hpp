#pragma once
// A plain TCP socket with the calls the bridge makes on a TlsStream
// (try_read, drained, wait_readable, write_all, shutdown_write), so one bridge
// relays both an intercepted TLS flow and a plain HTTP port whose requests are
// decided one by one.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <span>

#include <boost/asio/write.hpp>

#include "gateway/asio.hpp"
#include "gateway/tls/tls_stream.hpp"

namespace tlsgate {

class PlainStream {
 public:
  explicit PlainStream(tcp::socket& socket) : socket_(socket) { socket_.native_non_blocking(true); }

  tcp::socket& socket() { return socket_; }

  std::optional<tls::IoResult> try_read(std::span<std::uint8_t> buffer) {
    const ssize_t n = ::recv(socket_.native_handle(), buffer.data(), buffer.size(), 0);
    if (n > 0) {
      drained_ = static_cast<std::size_t>(n) < buffer.size();
      return tls::IoResult{tls::IoStatus::ok, static_cast<std::size_t>(n), {}};
    }
    if (n == 0) return tls::IoResult{tls::IoStatus::closed, 0, {}, true};
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      drained_ = true;
      return std::nullopt;
    }
    const int err = errno;
    return tls::IoResult{tls::IoStatus::error, 0, std::strerror(err), err == ECONNRESET || err == EPIPE};
  }
  bool drained() const { return drained_; }
  awaitable<bool> wait_readable() {
    auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
    co_return !ec;
  }
  awaitable<tls::IoResult> write_all(std::span<const std::uint8_t> bytes) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), use_tuple);
    if (ec) co_return tls::IoResult{tls::IoStatus::error, n, ec.message(), true};
    co_return tls::IoResult{tls::IoStatus::ok, n, {}};
  }
  void shutdown_write() { ::shutdown(socket_.native_handle(), SHUT_WR); }

 private:
  tcp::socket& socket_;
  bool drained_ = false;
};

}  // namespace tlsgate

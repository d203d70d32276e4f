#include "gateway/flow/relay/splice_tunnel.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/write.hpp>

#include <array>
#include <cerrno>
#include <cstring>

#include "gateway/flow/flow_watch.hpp"

namespace tlsgate {
namespace {

using namespace asio::experimental::awaitable_operators;

constexpr std::size_t splice_chunk_bytes = 1 << 18;

class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_.data(), O_NONBLOCK | O_CLOEXEC) != 0) {
      fds_ = {-1, -1};
      return;
    }
    // Bigger moves per splice pair on bulk transfers; the default stays if refused.
    ::fcntl(fds_[1], F_SETPIPE_SZ, static_cast<int>(splice_chunk_bytes));
  }
  ~Pipe() {
    for (int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }

 private:
  std::array<int, 2> fds_{};
};

using SocketDirection = Direction<tcp::socket>;

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

// Ends the direction on an error (by `side`): record it and shut both sockets
// so the other direction wakes up and finishes too.
void fail(const SocketDirection& d, int err, EndBy side) {
  d.state.failed(side, std::strerror(err), err == ECONNRESET || err == EPIPE);
  ::shutdown(d.from.native_handle(), SHUT_RDWR);
  ::shutdown(d.to.native_handle(), SHUT_RDWR);
}

void finish_eof(const SocketDirection& d) {
  // The other side's EOF may already wait unread (its direction not yet
  // scheduled): then it closed first, whichever direction runs first here.
  char byte = 0;
  const bool other_closed_first = ::recv(d.to.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  d.state.finished(other_closed_first ? d.to_side() : d.from_side);
  ::shutdown(d.to.native_handle(), SHUT_WR);  // half-close: the other way keeps flowing
}

// Writes `pending` bytes already in the pipe to the destination socket.
awaitable<int> drain_pipe(SocketDirection d, const Pipe& pipe, std::size_t pending, FlowWatch& control) {
  while (pending > 0) {
    const ssize_t m = ::splice(pipe.read_end(), nullptr, d.to.native_handle(), nullptr, pending,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (m > 0) {
      pending -= static_cast<std::size_t>(m);
      d.delivered += static_cast<std::uint64_t>(m);
      control.touch();
      continue;
    }
    if (m < 0 && would_block(errno)) {
      auto [ec] = co_await d.to.async_wait(tcp::socket::wait_write, use_tuple);
      if (ec) co_return ECANCELED;
      continue;
    }
    co_return m < 0 ? errno : EPIPE;
  }
  co_return 0;
}

awaitable<void> copy_direction(SocketDirection d, FlowWatch& control) {
  std::array<char, 16 * 1024> buf{};
  for (;;) {
    auto [rec, n] = co_await d.from.async_read_some(asio::buffer(buf), use_tuple);
    if (rec == asio::error::eof) co_return finish_eof(d);
    if (rec == asio::error::operation_aborted) co_return;
    if (rec) co_return fail(d, rec.value(), d.from_side);
    control.touch();
    auto [wec, m] = co_await asio::async_write(d.to, asio::buffer(buf.data(), n), use_tuple);
    if (wec == asio::error::operation_aborted) co_return;
    if (wec) co_return fail(d, wec.value(), d.to_side());
    d.delivered += m;
    d.show(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(buf.data()), m));
  }
}

awaitable<void> splice_direction(SocketDirection d, FlowWatch& control) {
  Pipe pipe;
  if (!pipe.ok()) co_return co_await copy_direction(d, control);
  const int from_fd = d.from.native_handle();
  for (;;) {
    const ssize_t n = ::splice(from_fd, nullptr, pipe.write_end(), nullptr, splice_chunk_bytes,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      control.touch();
      const int err = co_await drain_pipe(d, pipe, static_cast<std::size_t>(n), control);
      if (err == ECANCELED) co_return;
      if (err != 0) co_return fail(d, err, d.to_side());
      continue;
    }
    if (n == 0) co_return finish_eof(d);
    const int err = errno;
    if (would_block(err)) {
      auto [ec] = co_await d.from.async_wait(tcp::socket::wait_read, use_tuple);
      if (ec) co_return;  // cancelled
      continue;
    }
    if (err == EINVAL) co_return co_await copy_direction(d, control);  // splice refused here
    co_return fail(d, err, d.from_side);
  }
}

}  // namespace

awaitable<RelayEnd> splice_tunnel(tcp::socket& client, tcp::socket& server, FlowRecord& record,
                                  FlowWatch& control, RelayTap* tap) {
  control.enter_relay();
  client.native_non_blocking(true);
  server.native_non_blocking(true);
  RelayState state;
  const SocketDirection up{client, server, EndBy::client, record.from_client, tap, state};
  const SocketDirection down{server, client, EndBy::server, record.to_client, tap, state};
  if (tap) {
    co_await (copy_direction(up, control) && copy_direction(down, control));
  } else {
    co_await (splice_direction(up, control) && splice_direction(down, control));
  }
  co_return state.end;
}

}  // namespace tlsgate

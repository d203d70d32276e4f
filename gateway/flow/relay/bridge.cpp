#include "gateway/flow/relay/bridge.hpp"

#include <sys/socket.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/flow/flow_watch.hpp"
#include "gateway/flow/relay/response_scanner.hpp"

namespace tlsgate {
namespace {

using namespace asio::experimental::awaitable_operators;

constexpr std::size_t buffer_size = 16 * 1024;  // one TLS record
constexpr std::size_t small_message_bytes = 4 * 1024;
using Buffer = std::array<std::uint8_t, buffer_size>;

// Per-thread free list: a flow borrows a buffer only while it moves bytes.
class PooledBuffer {
 public:
  PooledBuffer() {
    auto& pool = free_list();
    if (pool.empty()) {
      buffer_ = std::make_unique<Buffer>();
    } else {
      buffer_ = std::move(pool.back());
      pool.pop_back();
    }
  }
  ~PooledBuffer() {
    auto& pool = free_list();
    if (pool.size() < 256) pool.push_back(std::move(buffer_));
  }
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  std::span<std::uint8_t> span() { return *buffer_; }

 private:
  static std::vector<std::unique_ptr<Buffer>>& free_list() {
    thread_local std::vector<std::unique_ptr<Buffer>> pool;
    return pool;
  }
  std::unique_ptr<Buffer> buffer_;
};

// A failure one way ends both. Cancelling the other direction's pending wait is
// not enough: it may have no wait pending yet (the first read of a bridge whose
// client reset right after its handshake fails before the other direction has
// started) or one that already completed, its resumption queued; that direction
// would then wait on a peer that stays open (an idle upstream holds its
// connection for as long as it likes). So `stopped` is checked before every
// wait and after every write, and both sockets are shut down: any read or
// write still to come fails at once instead of waiting.
template <class Stream>
void fail(const Direction<Stream>& d, EndBy side, std::string error) {
  d.state.failed(side, std::move(error), false);
  ::shutdown(d.from.socket().native_handle(), SHUT_RDWR);
  ::shutdown(d.to.socket().native_handle(), SHUT_RDWR);
  boost::system::error_code ec;
  d.from.socket().cancel(ec);
  d.to.socket().cancel(ec);
}

// Wakes the direction that reads `socket` from its wait: only that wait can be
// pending there (each socket has one reader and one writer, and the writer is
// the caller, running now).
template <class Stream>
void wake_reader_of(Stream& stream, bool& flag) {
  flag = true;
  boost::system::error_code ec;
  stream.socket().cancel(ec);
}

template <class Stream>
awaitable<bool> write(const Direction<Stream>& d, std::span<const std::uint8_t> bytes) {
  const auto written = co_await d.to.write_all(bytes);
  if (d.state.stopped) co_return false;
  if (written.status != tls::IoStatus::ok) {
    fail(d, d.to_side(), written.error.empty() ? "peer closed while receiving" : written.error);
    co_return false;
  }
  d.delivered += bytes.size();
  co_return true;
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The client's bytes after the gate: what it lets through goes upstream; a
// refusal that ends the connection stops the relay here (the reply goes to the
// client after both directions stopped). False: this direction is done.
template <class Stream>
awaitable<bool> pass_client_step(const Direction<Stream>& d, GateLink& link, http::ClientStep step) {
  if (step.error && link.parse_failed) link.parse_failed(*step.error);
  if (!step.to_server.empty()) {
    if (!co_await write(d, bytes_of(step.to_server))) co_return false;
    d.show(bytes_of(step.to_server));
  }
  if (step.close) {
    link.closed = true;
    link.closing_reply = std::move(step.to_client);
    d.state.finished(EndBy::client);
    d.state.stopped = true;
    ::shutdown(d.to.socket().native_handle(), SHUT_RDWR);  // the upstream; the client still gets the reply
    boost::system::error_code ec;
    d.to.socket().cancel(ec);
    co_return false;
  }
  if (link.gate.holds_to_client()) wake_reader_of(d.to, link.wake_server_side);
  co_return true;
}

// The server's bytes to the client, with the gate's own frames put where it said.
template <class Stream>
awaitable<bool> pass_server_bytes(const Direction<Stream>& d, GateLink& link, std::span<const std::uint8_t> bytes) {
  http::ServerStep step = link.gate.from_server(bytes);
  if (step.inject.empty()) {
    if (!co_await write(d, bytes)) co_return false;
  } else {
    const std::size_t split = std::min(step.split, bytes.size());
    std::string joined(reinterpret_cast<const char*>(bytes.data()), split);
    joined += step.inject;
    joined.append(reinterpret_cast<const char*>(bytes.data()) + split, bytes.size() - split);
    if (!co_await write(d, bytes_of(joined))) co_return false;
    d.delivered -= step.inject.size();  // the counters hold the server's bytes
  }
  d.show(bytes);
  if (step.resume_client) wake_reader_of(d.to, link.wake_client_side);
  co_return true;
}

// The server's bytes after content scanning: what the scanner released goes on as the
// server's; when it withheld content, its reply is the last thing the client gets.
template <class Stream>
awaitable<bool> pass_scanned(const Direction<Stream>& d, GateLink* link, ScannedBytes scanned) {
  if (d.state.stopped) co_return false;
  if (!scanned.to_client.empty()) {
    if (link) {
      if (!co_await pass_server_bytes(d, *link, scanned.to_client)) co_return false;
    } else {
      if (!co_await write(d, scanned.to_client)) co_return false;
      d.show(scanned.to_client);
    }
  }
  if (!scanned.close) co_return true;
  d.state.finished(EndBy::server);
  d.state.end.cause = EndReason::content_blocked;
  d.state.stopped = true;
  d.to.shutdown_write();
  ::shutdown(d.from.socket().native_handle(), SHUT_RDWR);  // the upstream
  boost::system::error_code ec;
  d.to.socket().cancel(ec);  // the client direction's wait
  co_return false;
}

// What this direction does at the top of each round with a gate: the client
// side takes bytes the gate released; the server side sends the gate's own frames.
template <class Stream>
awaitable<bool> gate_round(const Direction<Stream>& d, GateLink& link) {
  if (d.from_side == EndBy::client) {
    if (!link.wake_client_side) co_return true;
    link.wake_client_side = false;
    co_return co_await pass_client_step(d, link, link.gate.from_client({}));
  }
  link.wake_server_side = false;
  const std::string own = link.gate.take_to_client();
  if (own.empty()) co_return true;
  if (!co_await write(d, bytes_of(own))) co_return false;
  d.delivered -= own.size();
  co_return true;
}

// Reads every record already decrypted or waiting in the socket, up to one
// buffer, and forwards them with one write (one record, one send): a burst
// of records costs one write per direction, not one per record.
template <class Stream>
awaitable<void> pump(Direction<Stream> d, FlowWatch& control, GateLink* link, ResponseScanner* scanner) {
  for (;;) {
    if (d.state.stopped) co_return;
    if (link && !co_await gate_round(d, *link)) co_return;
    {
      PooledBuffer buffer;
      const std::span<std::uint8_t> space = buffer.span();
      for (bool drained = false; !drained;) {
        std::size_t filled = 0;
        std::optional<tls::IoResult> end;  // closed or failed, after the `filled` bytes
        while (filled < space.size()) {
          auto read = d.from.try_read(space.subspan(filled));
          if (!read) {
            drained = true;  // nothing more until the socket is readable again
            break;
          }
          if (read->status != tls::IoStatus::ok) {
            end = std::move(read);
            break;
          }
          filled += read->bytes;
          // A small message that emptied the socket (a request, a response) is complete: a
          // further read would only say EAGAIN. A stream keeps reading, as more is likely
          // arriving while this is decrypted, and one large write beats several small ones.
          if (filled < small_message_bytes && d.from.drained()) {
            drained = true;
            break;
          }
        }
        if (d.state.stopped) co_return;
        if (filled > 0) {
          const auto bytes = std::span<const std::uint8_t>(space.data(), filled);
          control.touch();
          if (scanner) {  // the server direction of a flow whose rule scans
            if (!co_await pass_scanned(d, link, co_await scanner->scan_server_bytes(bytes))) co_return;
          } else if (!link) {
            if (!co_await write(d, bytes)) co_return;
            d.show(bytes);
          } else if (d.from_side == EndBy::client) {
            if (!co_await pass_client_step(d, *link, link->gate.from_client(bytes))) co_return;
          } else {
            if (!co_await pass_server_bytes(d, *link, bytes)) co_return;
          }
        }
        if (end && end->status == tls::IoStatus::closed) {
          if (scanner && !co_await pass_scanned(d, link, co_await scanner->server_closed())) co_return;
          d.to.shutdown_write();
          d.state.finished(d.from_side);
          co_return;
        }
        if (end) {
          fail(d, d.from_side, end->error);
          co_return;
        }
      }
    }
    if (!co_await d.from.wait_readable()) {
      // Cancelled: the other direction woke this one for the gate, or the relay is ending.
      const bool woken = link && (d.from_side == EndBy::client ? link->wake_client_side : link->wake_server_side);
      if (woken && !d.state.stopped) continue;
      co_return;
    }
  }
}

template <class Stream>
awaitable<RelayEnd> run_bridge(Stream& client, Stream& upstream, FlowRecord& record, FlowWatch& control, RelayTap* tap,
                               GateLink* link, ResponseScanner* scanner) {
  control.enter_relay();
  RelayState state;
  co_await (
      pump(Direction<Stream>{client, upstream, EndBy::client, record.from_client, tap, state}, control, link, nullptr) &&
      pump(Direction<Stream>{upstream, client, EndBy::server, record.to_client, tap, state}, control, link, scanner));
  if (link && link->closed) {
    // A refused request: its reply is the last thing the client gets.
    if (!link->closing_reply.empty()) co_await client.write_all(bytes_of(link->closing_reply));
    client.shutdown_write();
    state.end.cause = EndReason::request_blocked;
  }
  co_return state.end;
}

}  // namespace

awaitable<RelayEnd> bridge(tls::TlsStream& client, tls::TlsStream& upstream, FlowRecord& record, FlowWatch& control,
                           RelayTap* tap, GateLink* gate, ResponseScanner* scanner) {
  co_return co_await run_bridge(client, upstream, record, control, tap, gate, scanner);
}

awaitable<RelayEnd> bridge(PlainStream& client, PlainStream& upstream, FlowRecord& record, FlowWatch& control,
                           RelayTap* tap, GateLink* gate, ResponseScanner* scanner) {
  co_return co_await run_bridge(client, upstream, record, control, tap, gate, scanner);
}

}  // namespace tlsgate

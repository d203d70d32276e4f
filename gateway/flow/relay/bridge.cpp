#include "gateway/flow/relay/bridge.hpp"

#include <sys/socket.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/flow/flow_watch.hpp"
#include "gateway/flow/relay/request_scanner.hpp"
#include "gateway/flow/relay/server_scanner.hpp"

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

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// What one chunk (or one gate round) writes to the other side, and what follows once it is
// written. Plain data, so a chunk costs the relay one co_await (the write) and no nested
// coroutine. `bytes` may point into `client` or `own`: an Outgoing is filled in place, never moved.
struct Outgoing {
  std::span<const std::uint8_t> bytes;  // to write: the chunk itself, the gate's to_server, or `own`
  std::span<const std::uint8_t> shown;  // what the tap sees once `bytes` went out
  std::size_t own_bytes = 0;            // the gate's own bytes in `bytes`: the counters hold the peers'
  http::ClientStep client;              // the gate's step for the client's bytes
  bool client_step = false;             // `client` holds one: after the write, a refusal may end the relay
  std::string own;                      // bytes joined for one write, or the gate's frames alone
  bool resume_client = false;           // the gate released client bytes held behind an Upgrade request
};

// The client's bytes (`input`) after the gate: what it lets through goes upstream, straight
// from `input` when the gate forwarded a prefix of it unchanged.
void client_chunk(GateLink& link, http::ClientStep step, std::span<const std::uint8_t> input, Outgoing& out) {
  out.client = std::move(step);
  out.client_step = true;
  if (out.client.error && link.parse_failed) link.parse_failed(*out.client.error);
  const std::size_t prefix = std::min(out.client.input_prefix, input.size());
  if (prefix == 0) {
    out.bytes = bytes_of(out.client.to_server);
  } else if (out.client.to_server.empty()) {
    out.bytes = input.first(prefix);
  } else {  // borrowed bytes and the gate's own (a switch to h2c within the chunk): one write
    out.own.assign(reinterpret_cast<const char*>(input.data()), prefix);
    out.own += out.client.to_server;
    out.bytes = bytes_of(out.own);
  }
  out.shown = out.bytes;
}

// The server's bytes to the client, with the gate's own frames put where it said.
void server_chunk(GateLink& link, std::span<const std::uint8_t> bytes, Outgoing& out) {
  http::ServerStep step = link.gate.from_server(bytes);
  out.shown = bytes;
  out.resume_client = step.resume_client;
  if (step.inject.empty()) {
    out.bytes = bytes;
    return;
  }
  const std::size_t split = std::min(step.split, bytes.size());
  out.own.reserve(bytes.size() + step.inject.size());
  out.own.assign(reinterpret_cast<const char*>(bytes.data()), split);
  out.own += step.inject;
  out.own.append(reinterpret_cast<const char*>(bytes.data()) + split, bytes.size() - split);
  out.bytes = bytes_of(out.own);
  out.own_bytes = step.inject.size();
}

// What this direction does at the top of each round with a gate: the client side takes bytes
// the gate released; the server side sends the gate's own frames. False: nothing to write.
template <class Stream>
bool gate_round(const Direction<Stream>& d, GateLink& link, Outgoing& out) {
  if (d.from_side == EndBy::client) {
    if (!link.wake_client_side) return false;
    link.wake_client_side = false;
    client_chunk(link, link.gate.from_client({}), {}, out);
    return true;
  }
  link.wake_server_side = false;
  out.own = link.gate.take_to_client();
  if (out.own.empty()) return false;
  out.bytes = bytes_of(out.own);
  out.own_bytes = out.own.size();
  return true;
}

// After `out.bytes` was written (`written`; not read when there was nothing to write): counts,
// shows, and carries out what the gate said. A refusal that ends the connection stops the relay
// here (the reply goes to the client after both directions stopped). False: this direction is done.
template <class Stream>
bool settle(const Direction<Stream>& d, GateLink* link, Outgoing& out, const tls::IoResult& written) {
  if (!out.bytes.empty()) {
    if (d.state.stopped) return false;
    if (written.status != tls::IoStatus::ok) {
      fail(d, d.to_side(), written.error.empty() ? "peer closed while receiving" : written.error);
      return false;
    }
    d.delivered += out.bytes.size() - out.own_bytes;
  }
  if (!out.shown.empty()) d.show(out.shown);
  if (!link) return true;
  if (out.client_step && out.client.close) {
    link->closed = true;
    link->closing_reply = std::move(out.client.to_client);
    d.state.finished(EndBy::client);
    d.state.stopped = true;
    ::shutdown(d.to.socket().native_handle(), SHUT_RDWR);  // the upstream; the client still gets the reply
    boost::system::error_code ec;
    d.to.socket().cancel(ec);
    return false;
  }
  if (out.client_step && link->gate.holds_to_client()) wake_reader_of(d.to, link->wake_server_side);
  if (out.resume_client) wake_reader_of(d.to, link->wake_client_side);
  return true;
}

// The client direction writes the scanner's own frames for the server (see ServerScanner)
// between the client's frames. False: this direction is done.
template <class Stream>
awaitable<bool> scanner_round(const Direction<Stream>& d, ServerScanner& scanner) {
  if (d.state.stopped) co_return false;
  if (!scanner.to_server_ready()) co_return true;
  const std::string frames = scanner.take_to_server();
  const tls::IoResult written = co_await d.to.write_all(bytes_of(frames));
  if (d.state.stopped) co_return false;
  if (written.status != tls::IoStatus::ok) {
    fail(d, d.to_side(), written.error.empty() ? "peer closed while receiving" : written.error);
    co_return false;
  }
  co_return true;
}

// The server's bytes after content scanning: what the scanner released goes on as the
// server's; when it withheld content, its reply is the last thing the client gets.
template <class Stream>
awaitable<bool> pass_scanned(const Direction<Stream>& d, GateLink* link, ServerScanner& scanner,
                             ScannedBytes scanned) {
  if (d.state.stopped) co_return false;
  Outgoing out;
  if (link && !scanned.to_client.empty()) {
    server_chunk(*link, scanned.to_client, out);
  } else {
    out.bytes = out.shown = scanned.to_client;
  }
  tls::IoResult written;
  if (!out.bytes.empty()) written = co_await d.to.write_all(out.bytes);
  if (!settle(d, link, out, written)) co_return false;
  if (scanner.to_server_ready()) wake_reader_of(d.to, scanner.wake_client_side);
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

// The client's bytes the gate let through (`out`), after content scanning of uploads: what the
// request scanner released goes upstream; when it withheld a request, the relay ends and its
// reply is the last thing the client gets (written once both directions stopped).
template <class Stream>
awaitable<bool> send_scanned(const Direction<Stream>& d, GateLink* link, RequestScanner& scanner, Outgoing& out) {
  const ScannedRequest scanned = co_await scanner.scan_client_bytes(out.bytes);
  if (d.state.stopped) co_return false;
  out.bytes = scanned.to_server;
  // Shown before the write: a held request goes in one large write, and the server may answer
  // (100 Continue first) before it completes; the observers must see the request first.
  if (!out.bytes.empty()) d.show(out.bytes);
  out.shown = {};
  tls::IoResult written;
  if (!out.bytes.empty()) written = co_await d.to.write_all(out.bytes);
  if (!settle(d, link, out, written)) co_return false;
  if (!scanned.close) co_return true;
  d.state.finished(EndBy::client);
  d.state.end.cause = EndReason::content_blocked;
  d.state.stopped = true;
  ::shutdown(d.to.socket().native_handle(), SHUT_RDWR);  // the upstream; the client still gets the reply
  boost::system::error_code ec;
  d.to.socket().cancel(ec);  // the server direction's wait
  co_return false;
}

// The client closed: a request it left unfinished follows on_error (what allow lets through goes
// upstream). False: the relay ends here.
template <class Stream>
awaitable<bool> flush_scanned(const Direction<Stream>& d, GateLink* link, RequestScanner& scanner) {
  const ScannedRequest scanned = co_await scanner.client_closed();
  if (d.state.stopped) co_return false;
  Outgoing out;
  out.bytes = scanned.to_server;
  if (!out.bytes.empty()) d.show(out.bytes);  // before the write, as in send_scanned
  tls::IoResult written;
  if (!out.bytes.empty()) written = co_await d.to.write_all(out.bytes);
  co_return settle(d, link, out, written);
}

// Reads every record already decrypted or waiting in the socket, up to one
// buffer, and forwards them with one write (one record, one send): a burst
// of records costs one write per direction, not one per record.
// `scanner`: on the server side, the server's bytes go through it; on the client side, its own
// frames for the server go out between the client's.
template <class Stream>
awaitable<void> pump(Direction<Stream> d, FlowWatch& control, GateLink* link, ServerScanner* scanner,
                     RequestScanner* uploads) {
  const bool from_client = d.from_side == EndBy::client;
  for (;;) {
    if (d.state.stopped) co_return;
    if (scanner && from_client && !co_await scanner_round(d, *scanner)) co_return;
    if (link) {
      Outgoing out;
      if (gate_round(d, *link, out)) {
        if (uploads) {  // the client side of a flow whose rule scans uploads
          if (!co_await send_scanned(d, link, *uploads, out)) co_return;
        } else {
          tls::IoResult written;
          if (!out.bytes.empty()) written = co_await d.to.write_all(out.bytes);
          if (!settle(d, link, out, written)) co_return;
        }
      }
    }
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
          if (scanner && !from_client) {  // a flow whose rule scans: the server's bytes wait for their verdicts
            if (!co_await pass_scanned(d, link, *scanner, co_await scanner->scan_server_bytes(bytes))) co_return;
          } else {
            Outgoing out;
            if (!link) {
              out.bytes = out.shown = bytes;
            } else if (d.from_side == EndBy::client) {
              client_chunk(*link, link->gate.from_client_borrowing(bytes), bytes, out);
            } else {
              server_chunk(*link, bytes, out);
            }
            if (uploads) {  // the client side of a flow whose rule scans uploads: held until their verdicts
              if (!co_await send_scanned(d, link, *uploads, out)) co_return;
            } else {
              tls::IoResult written;
              if (!out.bytes.empty()) written = co_await d.to.write_all(out.bytes);
              if (!settle(d, link, out, written)) co_return;
            }
            if (scanner && !co_await scanner_round(d, *scanner)) co_return;
          }
        }
        if (end && end->status == tls::IoStatus::closed) {
          if (scanner && !from_client && !co_await pass_scanned(d, link, *scanner, co_await scanner->server_closed()))
            co_return;
          if (uploads && !co_await flush_scanned(d, link, *uploads)) co_return;
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
      // Cancelled: the other direction woke this one for the gate or the scanner, or the relay is ending.
      bool woken = link && (from_client ? link->wake_client_side : link->wake_server_side);
      if (scanner && from_client) woken = std::exchange(scanner->wake_client_side, false) || woken;
      if (woken && !d.state.stopped) continue;
      co_return;
    }
  }
}

template <class Stream>
awaitable<RelayEnd> run_bridge(Stream& client, Stream& upstream, FlowRecord& record, FlowWatch& control, RelayTap* tap,
                               GateLink* link, ServerScanner* scanner, RequestScanner* uploads) {
  control.enter_relay();
  RelayState state;
  co_await (pump(Direction<Stream>{client, upstream, EndBy::client, record.from_client, tap, state}, control, link,
                 scanner, uploads) &&
            pump(Direction<Stream>{upstream, client, EndBy::server, record.to_client, tap, state}, control, link,
                 scanner, nullptr));
  if (link && link->closed) {
    // A refused request: its reply is the last thing the client gets.
    if (!link->closing_reply.empty()) co_await client.write_all(bytes_of(link->closing_reply));
    client.shutdown_write();
    state.end.cause = EndReason::request_blocked;
  } else if (uploads && state.end.cause == EndReason::content_blocked && !uploads->reply().empty()) {
    // A withheld upload: the scanner's reply is the last thing the client gets.
    co_await client.write_all(bytes_of(uploads->reply()));
    client.shutdown_write();
  }
  co_return state.end;
}

}  // namespace

awaitable<RelayEnd> bridge(tls::TlsStream& client, tls::TlsStream& upstream, FlowRecord& record, FlowWatch& control,
                           RelayTap* tap, GateLink* gate, ServerScanner* scanner, RequestScanner* uploads) {
  co_return co_await run_bridge(client, upstream, record, control, tap, gate, scanner, uploads);
}

awaitable<RelayEnd> bridge(PlainStream& client, PlainStream& upstream, FlowRecord& record, FlowWatch& control,
                           RelayTap* tap, GateLink* gate, ServerScanner* scanner, RequestScanner* uploads) {
  co_return co_await run_bridge(client, upstream, record, control, tap, gate, scanner, uploads);
}

}  // namespace tlsgate

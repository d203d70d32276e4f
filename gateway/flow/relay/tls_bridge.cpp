#include "gateway/flow/relay/tls_bridge.hpp"

#include <sys/socket.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/flow/control.hpp"

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

// Shared by both directions of one bridge, in tls_bridge's frame.
struct BridgeState {
  bool stopped = false;  // a direction failed: both end
};

struct Direction {
  tls::TlsStream& from;
  tls::TlsStream& to;
  std::uint64_t& counter;
  bool from_client;
  BridgeState& state;
};

struct DirectionEnd {
  bool by_client = true;  // whose socket ended or failed
  bool failed = false;
  std::string error;
  std::chrono::steady_clock::time_point at;
};

DirectionEnd stopped_end(const Direction& d) {
  return DirectionEnd{d.from_client, true, "cancelled", std::chrono::steady_clock::now()};
}

// A failure one way ends both. Cancelling the other direction's pending wait is
// not enough: it may have no wait pending yet (the first read of a bridge whose
// client reset right after its handshake fails before the other direction has
// started) or one that already completed, its resumption queued; that direction
// would then wait on a peer that stays open (an idle upstream holds its
// connection for as long as it likes). So the flag is checked before every wait
// and after every write, and both sockets are shut down: any read or write
// still to come fails at once instead of waiting.
void stop_both(Direction& d) {
  d.state.stopped = true;
  ::shutdown(d.from.socket().native_handle(), SHUT_RDWR);
  ::shutdown(d.to.socket().native_handle(), SHUT_RDWR);
  boost::system::error_code ec;
  d.from.socket().cancel(ec);
  d.to.socket().cancel(ec);
}

// Reads every record already decrypted or waiting in the socket, up to one
// buffer, and forwards them with one SSL_write (one record, one send): a burst
// of records costs one write per direction, not one per record.
awaitable<DirectionEnd> pump(Direction d, FlowControl& control, BridgeTap* tap) {
  for (;;) {
    if (d.state.stopped) co_return stopped_end(d);
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
        if (filled > 0) {
          const auto bytes = std::span<const std::uint8_t>(space.data(), filled);
          const auto written = co_await d.to.write_all(bytes);
          if (d.state.stopped) co_return stopped_end(d);
          if (written.status != tls::IoStatus::ok) {
            stop_both(d);
            co_return DirectionEnd{!d.from_client, true,
                                   written.error.empty() ? "peer closed while receiving" : written.error,
                                   std::chrono::steady_clock::now()};
          }
          d.counter += bytes.size();
          control.touch();
          if (tap) d.from_client ? tap->from_client(bytes) : tap->from_server(bytes);
        }
        if (end && end->status == tls::IoStatus::closed) {
          d.to.shutdown_write();
          co_return DirectionEnd{d.from_client, false, {}, std::chrono::steady_clock::now()};
        }
        if (end) {
          stop_both(d);
          co_return DirectionEnd{d.from_client, true, end->error, std::chrono::steady_clock::now()};
        }
      }
    }
    if (!co_await d.from.wait_readable()) co_return stopped_end(d);
  }
}

}  // namespace

awaitable<BridgeOutcome> tls_bridge(tls::TlsStream& client, tls::TlsStream& upstream, FlowRecord& record,
                                    FlowControl& control, BridgeTap* tap) {
  BridgeState state;
  auto [up, down] = co_await (pump(Direction{client, upstream, record.from_client, true, state}, control, tap) &&
                              pump(Direction{upstream, client, record.to_client, false, state}, control, tap));
  BridgeOutcome outcome;
  // A direction cancelled because the other failed is not the first end.
  const bool up_first = up.error != "cancelled" && (down.error == "cancelled" || up.at <= down.at);
  const DirectionEnd& first = up_first ? up : down;
  outcome.first_end = first.by_client ? EndBy::client : EndBy::server;
  outcome.first_end_at = first.at;
  if (first.failed) outcome.error = first.error;
  co_return outcome;
}

}  // namespace tlsgate

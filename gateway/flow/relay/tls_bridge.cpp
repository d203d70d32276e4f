#include "gateway/flow/relay/tls_bridge.hpp"

#include <sys/socket.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/flow/flow_watch.hpp"

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

using StreamDirection = Direction<tls::TlsStream>;

// A failure one way ends both. Cancelling the other direction's pending wait is
// not enough: it may have no wait pending yet (the first read of a bridge whose
// client reset right after its handshake fails before the other direction has
// started) or one that already completed, its resumption queued; that direction
// would then wait on a peer that stays open (an idle upstream holds its
// connection for as long as it likes). So `stopped` is checked before every
// wait and after every write, and both sockets are shut down: any read or
// write still to come fails at once instead of waiting.
void fail(const StreamDirection& d, EndBy side, std::string error) {
  d.state.failed(side, std::move(error), false);
  ::shutdown(d.from.socket().native_handle(), SHUT_RDWR);
  ::shutdown(d.to.socket().native_handle(), SHUT_RDWR);
  boost::system::error_code ec;
  d.from.socket().cancel(ec);
  d.to.socket().cancel(ec);
}

// Reads every record already decrypted or waiting in the socket, up to one
// buffer, and forwards them with one SSL_write (one record, one send): a burst
// of records costs one write per direction, not one per record.
awaitable<void> pump(StreamDirection d, FlowWatch& control) {
  for (;;) {
    if (d.state.stopped) co_return;
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
          if (d.state.stopped) co_return;
          if (written.status != tls::IoStatus::ok) {
            fail(d, d.to_side(), written.error.empty() ? "peer closed while receiving" : written.error);
            co_return;
          }
          d.delivered += bytes.size();
          control.touch();
          d.show(bytes);
        }
        if (end && end->status == tls::IoStatus::closed) {
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
    if (!co_await d.from.wait_readable()) co_return;  // cancelled: the other direction or the watchdog ended it
  }
}

}  // namespace

awaitable<RelayEnd> tls_bridge(tls::TlsStream& client, tls::TlsStream& upstream, FlowRecord& record,
                               FlowWatch& control, RelayTap* tap) {
  control.enter_relay();
  RelayState state;
  co_await (pump(StreamDirection{client, upstream, EndBy::client, record.from_client, tap, state}, control) &&
            pump(StreamDirection{upstream, client, EndBy::server, record.to_client, tap, state}, control));
  co_return state.end;
}

}  // namespace tlsgate

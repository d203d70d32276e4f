#include "gateway/flow/peek.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tlsgate {
namespace {

// Readable only once more than `have` bytes are queued (or on EOF/error), so
// waiting for "the rest of the ClientHello" does not spin on bytes already seen.
void set_low_watermark(int fd, std::size_t have) {
  const int lowat = static_cast<int>(have + 1);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
}

}  // namespace

awaitable<PeekResult> peek_client_hello(tcp::socket& client, std::size_t max_bytes,
                                        std::chrono::milliseconds timeout) {
  const int fd = client.native_handle();
  // Each pass re-peeks everything (the kernel has no peek offset for TCP here)
  // and hands it to the assembler without suspending, so one buffer per thread
  // serves all its flows; the assembler keeps only the handshake bytes it took.
  thread_local std::vector<std::uint8_t> buffer;
  if (buffer.size() < max_bytes) buffer.resize(max_bytes);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t have = 0;
  PeekResult result;
  // Incremental: each pass parses only the records that completed since the last one.
  tls::ClientHelloAssembler assembler(max_bytes);

  for (;;) {
    set_low_watermark(fd, have);
    auto ready = co_await with_deadline(client.async_wait(tcp::socket::wait_read, use_tuple), deadline);
    if (!ready) {
      result.kind = PeekResult::Kind::timeout;
      break;
    }
    const ssize_t n = ::recv(fd, buffer.data(), max_bytes, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) {
      result.kind = PeekResult::Kind::closed;
      result.detail = std::strerror(errno);
      break;
    }
    if (static_cast<std::size_t>(n) <= have) {  // readable without new bytes: EOF
      result.kind = PeekResult::Kind::closed;
      result.detail = have == 0 ? "closed before sending anything" : "closed in the middle of its ClientHello";
      break;
    }
    have = static_cast<std::size_t>(n);
    const auto parsed = assembler.feed(std::span<const std::uint8_t>(buffer.data(), have));
    if (parsed.is_complete()) {
      result.kind = PeekResult::Kind::hello;
      result.hello = parsed.value;
      result.hello_bytes = parsed.consumed;
      break;
    }
    if (parsed.is_error()) {
      result.kind = parsed.error == tls::ClientHelloError::not_handshake ? PeekResult::Kind::not_tls
                                                                          : PeekResult::Kind::malformed;
      result.error = parsed.error;
      result.detail = parsed.detail;
      break;
    }
    if (have >= max_bytes) {
      result.kind = PeekResult::Kind::malformed;
      result.error = tls::ClientHelloError::too_large;
      result.detail = "ClientHello larger than " + std::to_string(max_bytes) + " bytes";
      break;
    }
  }
  set_low_watermark(fd, 0);
  co_return result;
}

}  // namespace tlsgate

#include "gateway/tls/tls_stream.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace tlsgate::tls {

TlsStream::TlsStream(tcp::socket& socket, SslPtr ssl)
    : socket_(socket), bio_state_{socket.native_handle()}, ssl_(std::move(ssl)) {
  socket_.non_blocking(true);
  // Records are written whole; Nagle would only hold small ones back.
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  BIO* bio = new_socket_bio(bio_state_);
  SSL_set_bio(ssl_.get(), bio, bio);  // the SSL owns it (and takes the second reference itself)
}

std::optional<IoResult> TlsStream::classify(int ret) {
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      want_write_ = false;
      return std::nullopt;
    case SSL_ERROR_WANT_WRITE:
      want_write_ = true;
      return std::nullopt;
    case SSL_ERROR_ZERO_RETURN:  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
      return IoResult{IoStatus::closed, 0, {}, true};
    case SSL_ERROR_SYSCALL: {
      const int err = errno;
      ERR_clear_error();
      if (err == 0) return IoResult{IoStatus::closed, 0, {}, true};
      return IoResult{IoStatus::error, 0, std::strerror(err), err == ECONNRESET || err == EPIPE};
    }
    default:
      return IoResult{IoStatus::error, 0, openssl_errors()};
  }
}

awaitable<bool> TlsStream::wait_for_io() {
  const auto [ec] = co_await socket_.async_wait(want_write_ ? tcp::socket::wait_write : tcp::socket::wait_read,
                                                use_tuple);
  co_return !ec;
}

awaitable<bool> TlsStream::wait_readable() {
  want_write_ = false;
  // A read that found the socket empty leaves OpenSSL's record buffer allocated
  // (RELEASE_BUFFERS frees it only after data): give it back while idle.
  SSL_free_buffers(ssl_.get());
  co_return co_await wait_for_io();
}

awaitable<IoResult> TlsStream::handshake() {
  for (;;) {
    ERR_clear_error();
    const int ret = SSL_do_handshake(ssl_.get());
    if (ret == 1) co_return IoResult{};
    if (auto result = classify(ret)) {
      // An EOF during the handshake is a failure, not a clean close.
      if (result->status == IoStatus::closed) result = IoResult{IoStatus::error, 0, "connection closed during handshake", true};
      co_return *result;
    }
    if (!co_await wait_for_io()) co_return IoResult{IoStatus::error, 0, "cancelled"};
  }
}

std::optional<IoResult> TlsStream::try_read(std::span<std::uint8_t> buffer) {
  ERR_clear_error();
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n);
  if (ret == 1) return IoResult{IoStatus::ok, n, {}};
  return classify(ret);
}

awaitable<IoResult> TlsStream::write_all(std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ERR_clear_error();
    std::size_t n = 0;
    const int ret = SSL_write_ex(ssl_.get(), bytes.data() + done, bytes.size() - done, &n);
    if (ret == 1) {
      done += n;
      continue;
    }
    if (auto result = classify(ret)) {
      result->bytes = done;
      co_return *result;
    }
    if (!co_await wait_for_io()) co_return IoResult{IoStatus::error, done, "cancelled"};
  }
  co_return IoResult{IoStatus::ok, done, {}};
}

void TlsStream::shutdown_write() {
  ERR_clear_error();
  SSL_shutdown(ssl_.get());  // queues close_notify; the peer's reply is not awaited
  ERR_clear_error();
  ::shutdown(socket_.native_handle(), SHUT_WR);
}

}  // namespace tlsgate::tls

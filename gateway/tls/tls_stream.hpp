#pragma once
// One side of an intercepted connection: an OpenSSL SSL object driving a
// non-blocking TCP socket directly (a socket BIO, no copies), with Asio
// readiness waits where OpenSSL wants more I/O.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/tls/openssl.hpp"
#include "gateway/tls/socket_bio.hpp"

namespace tlsgate::tls {

enum class IoStatus { ok, closed, error };

struct IoResult {
  IoStatus status = IoStatus::ok;
  std::size_t bytes = 0;
  std::string error;  // when status == error
  bool peer_gone = false;  // the peer closed (EOF) or reset the connection
};

class TlsStream {
 public:
  TlsStream(tcp::socket& socket, SslPtr ssl);
  TlsStream(const TlsStream&) = delete;  // the BIO points at bio_state_
  TlsStream& operator=(const TlsStream&) = delete;

  SSL* ssl() const { return ssl_.get(); }
  tcp::socket& socket() { return socket_; }

  // Runs the handshake (SSL_connect or SSL_accept, as set on the SSL).
  awaitable<IoResult> handshake();
  // Reads what is decrypted and available without waiting; nullopt: wait_readable() first.
  std::optional<IoResult> try_read(std::span<std::uint8_t> buffer);
  // The last read emptied the socket and OpenSSL holds no unread bytes: the next
  // try_read would only find EAGAIN, so wait_readable() can come straight away.
  bool drained() const { return bio_state_.drained && !SSL_has_pending(ssl_.get()); }
  awaitable<bool> wait_readable();
  awaitable<IoResult> write_all(std::span<const std::uint8_t> bytes);
  // Sends close_notify without waiting for the peer's, then half-closes TCP.
  void shutdown_write();

 private:
  // Maps an OpenSSL return code; nullopt means "retry after waiting" (sets want_write_).
  std::optional<IoResult> classify(int ret);
  awaitable<bool> wait_for_io();

  tcp::socket& socket_;
  SocketBioState bio_state_;
  SslPtr ssl_;
  bool want_write_ = false;
};

}  // namespace tlsgate::tls

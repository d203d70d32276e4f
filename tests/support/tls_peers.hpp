#pragma once
// Blocking OpenSSL ends for tests: a client that trusts one CA, and a test
// upstream that serves HTTP/1.1 or a minimal h2 exchange over TLS.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/tls/openssl.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/test_pki.hpp"

namespace tlsgate::testing {

// A server context presenting `identity`, choosing from the client's ALPN
// offer by `alpn_preference` (none: no ALPN).
class TlsServerContext {
 public:
  TlsServerContext(const ServerIdentity& identity, std::vector<std::string> alpn_preference);
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  tls::SslCtxPtr ctx_;
  std::unique_ptr<std::string> alpn_wire_;  // the callback's argument: stays put
};

// A client context that verifies the server against `trusted_ca` only.
tls::SslCtxPtr tls_client_context(X509* trusted_ca);

// A client handshake on the connected socket `fd` (SNI and hostname check
// for `sni`, ALPN offer `alpn`). Null on failure, with *error the first
// OpenSSL error (ERR_GET_REASON compares it with SSL_R_*).
tls::SslPtr tls_connect(SSL_CTX* ctx, int fd, const std::string& sni, const std::vector<std::string>& alpn,
                        unsigned long* error);

// The ALPN protocol the handshake selected ("" without one).
std::string selected_alpn(SSL* ssl);

bool write_all(SSL* ssl, std::string_view bytes);
// Reads until `marker` was seen, or the peer closed or failed; returns all read.
std::string read_until(SSL* ssl, std::string_view marker);
// Reads until the peer closes or fails.
std::string read_to_end(SSL* ssl);

// h2 framing, just enough for one request and its response.
constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::uint8_t h2_settings = 0x4, h2_headers = 0x1;
constexpr std::uint8_t h2_end_stream = 0x1, h2_end_headers = 0x4, h2_ack = 0x1;
std::string h2_frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, std::string_view payload);
struct H2Frame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
  std::string payload;
};
// Reads frames until a HEADERS frame arrives (returned), or the peer leaves (nullopt).
std::optional<H2Frame> read_until_h2_headers(SSL* ssl);

// What the HTTPS upstream does after answering one request.
enum class AfterResponse { wait_for_client_close, close };

// An HTTPS upstream handler: one request, one response ("hello" over
// HTTP/1.1, or a :status 200 HEADERS frame over h2, by the negotiated ALPN).
LoopbackServer::Handler https_responder(const TlsServerContext& ctx, AfterResponse after);

}  // namespace tlsgate::testing

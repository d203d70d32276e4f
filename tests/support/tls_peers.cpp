#include "tests/support/tls_peers.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace tlsgate::testing {
namespace {

std::string alpn_wire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& p : protocols) {
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  return wire;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void* arg) {
  const auto* preference = static_cast<const std::string*>(arg);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, reinterpret_cast<const unsigned char*>(preference->data()),
                            static_cast<unsigned>(preference->size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

bool read_exactly(SSL* ssl, std::string& out, std::size_t n) {
  out.resize(n);
  std::size_t got = 0;
  while (got < n) {
    const int r = SSL_read(ssl, out.data() + got, static_cast<int>(n - got));
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

void answer_http1(SSL* ssl, AfterResponse after) {
  if (read_until(ssl, "\r\n\r\n").find("\r\n\r\n") == std::string::npos) return;
  const std::string connection = after == AfterResponse::close ? "Connection: close\r\n" : "";
  write_all(ssl, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + connection + "\r\nhello");
}

void answer_h2(SSL* ssl) {
  std::string preface;
  if (!read_exactly(ssl, preface, h2_preface.size()) || preface != h2_preface) return;
  const auto request = read_until_h2_headers(ssl);
  if (!request) return;
  write_all(ssl, h2_frame(h2_settings, 0, 0, "") + h2_frame(h2_settings, h2_ack, 0, "") +
                     h2_frame(h2_headers, h2_end_headers | h2_end_stream, request->stream, "\x88"));  // :status 200
}

}  // namespace

TlsServerContext::TlsServerContext(const ServerIdentity& identity, std::vector<std::string> alpn_preference)
    : ctx_(SSL_CTX_new(TLS_server_method())), alpn_wire_(std::make_unique<std::string>(alpn_wire(alpn_preference))) {
  if (!ctx_ || SSL_CTX_use_certificate(ctx_.get(), identity.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx_.get(), identity.key.get()) != 1)
    throw std::runtime_error("test server context");
  if (!alpn_wire_->empty()) SSL_CTX_set_alpn_select_cb(ctx_.get(), select_alpn, alpn_wire_.get());
}

tls::SslCtxPtr tls_client_context(X509* trusted_ca) {
  tls::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw std::runtime_error("test client context");
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), trusted_ca);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

tls::SslPtr tls_connect(SSL_CTX* ctx, int fd, const std::string& sni, const std::vector<std::string>& alpn,
                        unsigned long* error) {
  ERR_clear_error();
  tls::SslPtr ssl(SSL_new(ctx));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
  SSL_set1_host(ssl.get(), sni.c_str());
  const std::string wire = alpn_wire(alpn);
  if (!wire.empty())
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(wire.data()), static_cast<unsigned>(wire.size()));
  if (SSL_connect(ssl.get()) != 1) {
    if (error) *error = ERR_peek_error();
    return nullptr;
  }
  if (error) *error = 0;
  return ssl;
}

std::string selected_alpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

bool write_all(SSL* ssl, std::string_view bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const int w = SSL_write(ssl, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    if (w <= 0) return false;
    sent += static_cast<std::size_t>(w);
  }
  return true;
}

std::string read_until(SSL* ssl, std::string_view marker) {
  std::string got;
  char buf[4096];
  while (got.find(marker) == std::string::npos) {
    const int r = SSL_read(ssl, buf, sizeof buf);
    if (r <= 0) break;
    got.append(buf, static_cast<std::size_t>(r));
  }
  return got;
}

std::string read_to_end(SSL* ssl) {
  std::string got;
  char buf[4096];
  for (;;) {
    const int r = SSL_read(ssl, buf, sizeof buf);
    if (r <= 0) return got;
    got.append(buf, static_cast<std::size_t>(r));
  }
}

std::string h2_frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, std::string_view payload) {
  const std::size_t n = payload.size();
  std::string frame{static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n),
                    static_cast<char>(type),    static_cast<char>(flags),  static_cast<char>(stream >> 24),
                    static_cast<char>(stream >> 16), static_cast<char>(stream >> 8), static_cast<char>(stream)};
  frame += payload;
  return frame;
}

std::optional<H2Frame> read_until_h2_headers(SSL* ssl) {
  for (;;) {
    std::string header;
    if (!read_exactly(ssl, header, 9)) return std::nullopt;
    const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(header[i])); };
    H2Frame frame;
    frame.type = static_cast<std::uint8_t>(byte(3));
    frame.flags = static_cast<std::uint8_t>(byte(4));
    frame.stream = (byte(5) << 24 | byte(6) << 16 | byte(7) << 8 | byte(8)) & 0x7fffffffu;
    if (!read_exactly(ssl, frame.payload, byte(0) << 16 | byte(1) << 8 | byte(2))) return std::nullopt;
    if (frame.type == h2_headers) return frame;
  }
}

LoopbackServer::Handler https_responder(const TlsServerContext& ctx, AfterResponse after) {
  SSL_CTX* context = ctx.get();
  return [context, after](int fd) {
    tls::SslPtr ssl(SSL_new(context));
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) != 1) return;
    if (selected_alpn(ssl.get()) == "h2") {
      answer_h2(ssl.get());
    } else {
      answer_http1(ssl.get(), after);
    }
    if (after == AfterResponse::wait_for_client_close) read_to_end(ssl.get());
    SSL_shutdown(ssl.get());
  };
}

}  // namespace tlsgate::testing

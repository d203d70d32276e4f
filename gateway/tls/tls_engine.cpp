#include "gateway/tls/tls_engine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "gateway/tls/forge.hpp"
#include "gateway/tls/keys.hpp"
#include "gateway/tls/trust_store.hpp"

namespace tlsgate::tls {
namespace {

// Where an SSL keeps pointers to its flow's state (ClientSideState, session key).
int client_state_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int session_key_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int owner_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Each engine loads its own trust store: a new generation, so no verify-cache key carries over.
std::uint64_t next_store_generation() {
  static std::atomic<std::uint64_t> generation{0};
  return ++generation;
}

constexpr long common_options = SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
constexpr long common_modes =
    SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;

SslCtxPtr new_ctx(const SSL_METHOD* method) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) throw OpenSslError("SSL_CTX_new: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), common_options);
  SSL_CTX_set_mode(ctx.get(), common_modes);
  // One recv takes everything waiting (up to the record buffer), not a header and a body
  // per record: half the system calls per request or more.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  return ctx;
}

// Offers the client exactly what the upstream chose, so both legs speak the same protocol.
int select_upstream_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                         unsigned int in_len, void*) {
  auto* state = static_cast<ClientSideState*>(SSL_get_ex_data(ssl, client_state_index()));
  if (!state || !state->alpn) return SSL_TLSEXT_ERR_NOACK;
  const std::string& want = *state->alpn;
  for (unsigned i = 0; i < in_len;) {
    const unsigned len = in[i];
    if (i + 1 + len > in_len) break;
    if (len == want.size() && std::memcmp(in + i + 1, want.data(), len) == 0) {
      *out = in + i + 1;
      *out_len = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// Records the client's fatal alert: a rejected certificate is learned from it.
void client_info_callback(const SSL* ssl, int where, int value) {
  if (!(where & SSL_CB_READ_ALERT) || ((value >> 8) & 0xff) != SSL3_AL_FATAL) return;
  if (auto* state = static_cast<ClientSideState*>(SSL_get_ex_data(ssl, client_state_index()))) {
    state->alert_received = value & 0xff;
  }
}

std::vector<std::uint8_t> alpn_wire(std::span<const std::string> protocols) {
  std::vector<std::uint8_t> wire;
  for (const auto& p : protocols) {
    wire.push_back(static_cast<std::uint8_t>(p.size()));
    wire.insert(wire.end(), p.begin(), p.end());
  }
  return wire;
}

}  // namespace

// NSS key log (SSLKEYLOGFILE format) so operators can decrypt captures; created 0600.
struct TlsEngine::KeyLog {
  explicit KeyLog(const std::string& path) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw std::runtime_error("cannot open keylog_file " + path + ": " + std::strerror(errno));
  }
  ~KeyLog() { ::close(fd); }
  void write(const char* line) {
    std::string text(line);
    text += '\n';
    const std::lock_guard lock(mutex);
    [[maybe_unused]] const auto n = ::write(fd, text.data(), text.size());
  }
  int fd;
  std::mutex mutex;
};

TlsEngine::TlsEngine(const Config& config, CertificateAuthority ca)
    : ca_(std::move(ca)),
      leaf_key_(generate_key(*parse_key_type(config.leaf_key_type))),
      leaf_cache_(config.cert_cache_entries),
      sessions_(config.upstream_session_cache_entries),
      store_generation_(next_store_generation()),
      max_names_(config.max_certificate_names),
      client_ctx_(new_ctx(TLS_server_method())),
      upstream_ctx_(new_ctx(TLS_client_method())) {
  // Client leg: session tickets (stateless) for resumption; the leaf is set per connection.
  SSL_CTX_set_num_tickets(client_ctx_.get(), 1);
  SSL_CTX_set_session_cache_mode(client_ctx_.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_alpn_select_cb(client_ctx_.get(), select_upstream_alpn, nullptr);
  SSL_CTX_set_info_callback(client_ctx_.get(), client_info_callback);

  // Upstream leg: verify against the trust store, but let the handshake finish
  // (SSL_VERIFY_NONE still records the result) so the flow can fall back to a
  // tunnel with the reason; resumption through an external session cache.
  SSL_CTX_set_cert_store(upstream_ctx_.get(), load_trust_store(config.upstream_ca_file).release());
  SSL_CTX_set_verify(upstream_ctx_.get(), SSL_VERIFY_NONE, nullptr);
  // Chains that verified are remembered for a minute; the name is checked every time.
  SSL_CTX_set_cert_verify_callback(
      upstream_ctx_.get(),
      [](X509_STORE_CTX* store_ctx, void* arg) -> int {
        auto* self = static_cast<TlsEngine*>(arg);
        // Before OpenSSL decodes (and caches) every SAN to check the chain: a certificate the
        // gateway will not forge for anyway costs a cheap walk of its bytes, not a full decode.
        if (X509* leaf = X509_STORE_CTX_get0_cert(store_ctx); leaf && names_of(leaf, self->max_names_).capped) {
          X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
          return 0;
        }
        return verify_with_cache(store_ctx, self->verified_chains_, self->store_generation_, std::time(nullptr));
      },
      this);
  SSL_CTX_set_ex_data(upstream_ctx_.get(), owner_index(), this);
  SSL_CTX_set_ex_data(client_ctx_.get(), owner_index(), this);
  SSL_CTX_set_session_cache_mode(upstream_ctx_.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(upstream_ctx_.get(), [](SSL* ssl, SSL_SESSION* session) -> int {
    auto* self = static_cast<TlsEngine*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), owner_index()));
    const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, session_key_index()));
    if (self && key && SSL_get_verify_result(ssl) == X509_V_OK) self->sessions_.put(*key, session);
    return 0;  // the cache took its own reference
  });

  if (config.keylog_file) {
    key_log_ = std::make_unique<KeyLog>(*config.keylog_file);
    for (SSL_CTX* ctx : {client_ctx_.get(), upstream_ctx_.get()}) {
      SSL_CTX_set_keylog_callback(ctx, [](const SSL* ssl, const char* line) {
        const SSL_CTX* c = SSL_get_SSL_CTX(ssl);
        auto* self = static_cast<TlsEngine*>(SSL_CTX_get_ex_data(c, owner_index()));
        if (self && self->key_log_) self->key_log_->write(line);
      });
    }
  }
}

TlsEngine::~TlsEngine() = default;

SslPtr TlsEngine::new_upstream_ssl(const std::optional<std::string>& sni, const std::string& server_ip,
                                      const std::string& session_key, std::span<const std::string> alpn) {
  SslPtr ssl(SSL_new(upstream_ctx_.get()));
  if (!ssl) throw OpenSslError("SSL_new: " + openssl_errors());
  SSL_set_connect_state(ssl.get());
  if (sni) {
    SSL_set_tlsext_host_name(ssl.get(), sni->c_str());
    SSL_set1_host(ssl.get(), sni->c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), server_ip.c_str());
  }
  if (!alpn.empty()) {
    const auto wire = alpn_wire(alpn);
    SSL_set_alpn_protos(ssl.get(), wire.data(), static_cast<unsigned>(wire.size()));
  }
  SSL_set_ex_data(ssl.get(), session_key_index(), const_cast<std::string*>(&session_key));
  if (SSL_SESSION* session = sessions_.get(session_key)) {
    SSL_set_session(ssl.get(), session);
    SSL_SESSION_free(session);
  }
  return ssl;
}

SslPtr TlsEngine::new_client_ssl(X509* leaf, ClientSideState* state) {
  SslPtr ssl(SSL_new(client_ctx_.get()));
  if (!ssl) throw OpenSslError("SSL_new: " + openssl_errors());
  SSL_set_accept_state(ssl.get());
  if (SSL_use_certificate(ssl.get(), leaf) != 1 || SSL_use_PrivateKey(ssl.get(), leaf_key_.get()) != 1 ||
      SSL_add1_chain_cert(ssl.get(), ca_.certificate()) != 1) {
    throw OpenSslError("installing the forged certificate: " + openssl_errors());
  }
  SSL_set_ex_data(ssl.get(), client_state_index(), state);
  return ssl;
}

std::shared_ptr<X509> TlsEngine::leaf_for(const ForgeRequest& request, bool* cache_hit) {
  const std::string key = forge_cache_key(request);
  if (auto cached = leaf_cache_.find(key)) {
    *cache_hit = true;
    return cached;
  }
  *cache_hit = false;
  return leaf_cache_.insert(key, forge_leaf(ca_, leaf_key_.get(), request));
}

}  // namespace tlsgate::tls

#pragma once
// The process-wide TLS machinery of interception: the client-facing and
// upstream SSL_CTXs, the gateway CA, the per-process leaf key, the forged
// certificate cache, the upstream session cache and the optional key log.
// Shared by all workers; every member is thread-safe.
#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/config.hpp"
#include "gateway/tls/cert_cache.hpp"
#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/forge.hpp"
#include "gateway/tls/openssl.hpp"
#include "gateway/tls/session_cache.hpp"
#include "gateway/tls/verify_cache.hpp"

namespace tlsgate::tls {

// What the client-facing handshake needs from its flow, and what it reports back.
struct ClientSideState {
  std::optional<std::string> alpn;    // the protocol the upstream selected: offered to the client
  std::optional<int> alert_received;  // the client's fatal alert, if it sent one
};

class TlsEngine {
 public:
  TlsEngine(const Config& config, CertificateAuthority ca);
  ~TlsEngine();

  // A client-mode SSL for the upstream leg: SNI (when known), the ALPN offer,
  // verification against the trust store and the name (SNI, else the IP),
  // and a cached session for this server when one is held.
  SslPtr new_upstream_ssl(const std::optional<std::string>& sni, const std::string& server_ip,
                          const std::string& session_key, std::span<const std::string> alpn);
  // A server-mode SSL for the client leg, presenting `leaf` and the CA chain.
  SslPtr new_client_ssl(X509* leaf, ClientSideState* state);
  // The forged leaf for this upstream certificate (cached by SNI and fingerprint).
  std::shared_ptr<X509> leaf_for(const ForgeRequest& request, bool* cache_hit);

  const CertificateAuthority& ca() const { return ca_; }

 private:
  CertificateAuthority ca_;
  EvpPkeyPtr leaf_key_;
  CertCache leaf_cache_;
  SessionCache sessions_;
  VerifyCache verified_chains_;
  std::uint64_t store_generation_;  // this engine's trust store, for the verify cache's keys
  std::size_t max_names_;           // max_certificate_names: more and the upstream is not verified
  SslCtxPtr client_ctx_;
  SslCtxPtr upstream_ctx_;
  struct KeyLog;
  std::unique_ptr<KeyLog> key_log_;
};

}  // namespace tlsgate::tls

#pragma once
// Upstream chains that verified, remembered for a short time: a
// server's next handshake with the same chain skips the chain building and
// signature checks. The name is checked on every handshake, hit or miss.
//
// Only successes are kept, keyed by SHA-256 over the DER of every certificate
// the server sent (in order) and the trust store's generation, so a chain that
// failed is always verified in full, and a new trust store starts empty. An
// entry lives until the TTL or the earliest notAfter of the verified chain,
// whichever comes first. Thread-safe (one mutex); bounded.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

class VerifyCache {
 public:
  using Key = std::array<unsigned char, 32>;
  static constexpr std::size_t default_capacity = 4096;
  static constexpr std::chrono::seconds default_ttl{60};

  explicit VerifyCache(std::size_t capacity = default_capacity, std::chrono::seconds ttl = default_ttl)
      : capacity_(capacity), ttl_(ttl) {}
  VerifyCache(const VerifyCache&) = delete;
  VerifyCache& operator=(const VerifyCache&) = delete;

  // SHA-256 over the generation and the DER of `leaf` then every certificate of
  // `chain` (nullptr: none); nullopt when a certificate cannot be encoded.
  static std::optional<Key> key_of(X509* leaf, STACK_OF(X509) * chain, std::uint64_t store_generation);

  // Whether `key` verified and its entry is still valid at `now` (expired entries are dropped).
  bool contains(const Key& key, std::time_t now);
  // Records a success at `now`, valid until min(now + TTL, `valid_until`).
  void remember(const Key& key, std::time_t valid_until, std::time_t now);
  std::size_t size() const;

 private:
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::size_t h;
      static_assert(sizeof h <= sizeof(Key));
      __builtin_memcpy(&h, k.data(), sizeof h);  // already a cryptographic hash
      return h;
    }
  };
  void evict_locked(std::time_t now);

  std::size_t capacity_;
  std::chrono::seconds ttl_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, std::time_t, KeyHash> expiry_;
};

// The upstream SSL_CTX's certificate verification (SSL_CTX_set_cert_verify_callback):
// on a cache hit, only the host / IP names of the X509_STORE_CTX's parameters are
// checked against the leaf (X509_check_host / X509_check_ip_asc); otherwise
// X509_verify_cert, and a success is remembered. Leaves the result in the
// context's error (X509_V_OK or the failure) like X509_verify_cert, and returns 1
// on success, 0 on failure.
int verify_with_cache(X509_STORE_CTX* ctx, VerifyCache& cache, std::uint64_t store_generation, std::time_t now);

// The earliest notAfter of `chain` as a time_t (0 when one cannot be read).
std::time_t earliest_not_after(STACK_OF(X509) * chain);

}  // namespace tlsgate::tls

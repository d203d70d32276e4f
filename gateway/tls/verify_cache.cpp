#include "gateway/tls/verify_cache.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <vector>

namespace tlsgate::tls {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

bool hash_der(EVP_MD_CTX* md, X509* cert, std::vector<unsigned char>& scratch) {
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) return false;
  scratch.resize(static_cast<std::size_t>(len));
  unsigned char* out = scratch.data();
  if (i2d_X509(cert, &out) != len) return false;
  // The length first, so certificate boundaries are part of what is hashed.
  const std::uint32_t n = static_cast<std::uint32_t>(len);
  return EVP_DigestUpdate(md, &n, sizeof n) == 1 && EVP_DigestUpdate(md, scratch.data(), scratch.size()) == 1;
}

// The names SSL_set1_host / X509_VERIFY_PARAM_set1_ip_asc asked for, checked against the leaf.
int check_names(X509_STORE_CTX* ctx, X509* leaf) {
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  const char* first_host = X509_VERIFY_PARAM_get0_host(param, 0);
  if (first_host != nullptr) {
    const unsigned flags = X509_VERIFY_PARAM_get_hostflags(param);
    bool matched = false;
    for (int i = 0; !matched; ++i) {
      const char* host = X509_VERIFY_PARAM_get0_host(param, i);
      if (host == nullptr) break;
      matched = X509_check_host(leaf, host, 0, flags, nullptr) == 1;
    }
    if (!matched) return X509_V_ERR_HOSTNAME_MISMATCH;
  }
  if (char* ip = X509_VERIFY_PARAM_get1_ip_asc(param)) {
    const bool matched = X509_check_ip_asc(leaf, ip, 0) == 1;
    OPENSSL_free(ip);
    if (!matched) return X509_V_ERR_IP_ADDRESS_MISMATCH;
  }
  return X509_V_OK;
}

}  // namespace

std::optional<VerifyCache::Key> VerifyCache::key_of(X509* leaf, STACK_OF(X509) * chain,
                                                    std::uint64_t store_generation) {
  thread_local std::vector<unsigned char> scratch;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), sha256_md(), nullptr) != 1) return std::nullopt;
  if (EVP_DigestUpdate(md.get(), &store_generation, sizeof store_generation) != 1) return std::nullopt;
  if (leaf == nullptr || !hash_der(md.get(), leaf, scratch)) return std::nullopt;
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    if (!hash_der(md.get(), sk_X509_value(chain, i), scratch)) return std::nullopt;
  }
  Key key{};
  unsigned len = 0;
  if (EVP_DigestFinal_ex(md.get(), key.data(), &len) != 1 || len != key.size()) return std::nullopt;
  return key;
}

bool VerifyCache::contains(const Key& key, std::time_t now) {
  const std::lock_guard lock(mutex_);
  const auto it = expiry_.find(key);
  if (it == expiry_.end()) return false;
  if (now < it->second) return true;
  expiry_.erase(it);
  return false;
}

void VerifyCache::remember(const Key& key, std::time_t valid_until, std::time_t now) {
  if (capacity_ == 0) return;
  const std::time_t until = std::min<std::time_t>(now + ttl_.count(), valid_until);
  if (until <= now) return;
  const std::lock_guard lock(mutex_);
  if (expiry_.size() >= capacity_ && !expiry_.contains(key)) evict_locked(now);
  expiry_[key] = until;
}

void VerifyCache::evict_locked(std::time_t now) {
  std::erase_if(expiry_, [now](const auto& entry) { return entry.second <= now; });
  // Still full: drop about a quarter, any of them (each would simply be verified again).
  for (auto it = expiry_.begin(); it != expiry_.end() && expiry_.size() > capacity_ * 3 / 4;) it = expiry_.erase(it);
}

std::size_t VerifyCache::size() const {
  const std::lock_guard lock(mutex_);
  return expiry_.size();
}

std::time_t earliest_not_after(STACK_OF(X509) * chain) {
  std::time_t earliest = 0;
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(sk_X509_value(chain, i)), &tm) != 1) return 0;
    const std::time_t t = timegm(&tm);
    if (i == 0 || t < earliest) earliest = t;
  }
  return earliest;
}

int verify_with_cache(X509_STORE_CTX* ctx, VerifyCache& cache, std::uint64_t store_generation, std::time_t now) {
  X509* leaf = X509_STORE_CTX_get0_cert(ctx);
  const auto key = VerifyCache::key_of(leaf, X509_STORE_CTX_get0_untrusted(ctx), store_generation);
  if (key && cache.contains(*key, now)) {
    const int names = check_names(ctx, leaf);
    X509_STORE_CTX_set_error(ctx, names);
    if (names != X509_V_OK) X509_STORE_CTX_set_current_cert(ctx, leaf);
    return names == X509_V_OK ? 1 : 0;
  }
  const int ok = X509_verify_cert(ctx);
  if (ok == 1 && key && X509_STORE_CTX_get_error(ctx) == X509_V_OK) {
    if (const std::time_t until = earliest_not_after(X509_STORE_CTX_get0_chain(ctx)); until > 0) {
      cache.remember(*key, until, now);
    }
  }
  return ok == 1 ? 1 : 0;
}

}  // namespace tlsgate::tls

#include "gateway/tls/cert_cache.hpp"

#include <algorithm>
#include <functional>

namespace tlsgate::tls {
namespace {

constexpr std::size_t max_shards = 16;
constexpr std::size_t min_entries_per_shard = 64;

}  // namespace

CertCache::CertCache(std::size_t capacity) : capacity_(capacity) {
  const std::size_t count = std::clamp<std::size_t>(capacity / min_entries_per_shard, 1, max_shards);
  for (std::size_t i = 0; i < count; ++i) {
    auto shard = std::make_unique<Shard>();
    // Exact total: the first (capacity % count) shards take one entry more.
    shard->capacity = capacity / count + (i < capacity % count ? 1 : 0);
    shards_.push_back(std::move(shard));
  }
}

CertCache::Shard& CertCache::shard_for(const std::string& key) {
  // The map buckets use the low bits of the same hash; pick the shard from the high bits.
  const std::size_t h = std::hash<std::string>{}(key);
  return *shards_[(h >> (sizeof(std::size_t) * 4)) % shards_.size()];
}

std::shared_ptr<X509> CertCache::find(const std::string& key) {
  Shard& shard = shard_for(key);
  const std::lock_guard lock(shard.mutex);
  const auto it = shard.index.find(key);
  if (it == shard.index.end()) return nullptr;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->second;
}

std::shared_ptr<X509> CertCache::insert(const std::string& key, X509Ptr cert) {
  std::shared_ptr<X509> shared(cert.release(), OpenSslDeleter<X509_free>{});
  Shard& shard = shard_for(key);
  const std::lock_guard lock(shard.mutex);
  if (shard.capacity == 0) return shared;
  if (const auto it = shard.index.find(key); it != shard.index.end()) {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return it->second->second;
  }
  shard.lru.emplace_front(key, shared);
  shard.index.emplace(key, shard.lru.begin());
  if (shard.lru.size() > shard.capacity) {
    shard.index.erase(shard.lru.back().first);
    shard.lru.pop_back();  // the certificate lives on in any handshake still holding it
  }
  return shared;
}

std::size_t CertCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    const std::lock_guard lock(shard->mutex);
    total += shard->lru.size();
  }
  return total;
}

}  // namespace tlsgate::tls

#pragma once
// Forged certificates, shared by all workers: a sharded LRU cache.
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

// Thread-safe LRU map from a key (see forge_cache_key) to a certificate. Keys are spread over
// up to 16 shards, each with its own mutex and LRU list, so workers rarely contend; the
// capacity is the total (split across shards, at least 64 entries per shard), so eviction is
// least-recently-used per shard. Capacity 0 disables caching. Returned certificates stay
// valid after eviction (shared ownership).
class CertCache {
 public:
  explicit CertCache(std::size_t capacity);

  // The cached certificate (now most recently used), or null.
  std::shared_ptr<X509> find(const std::string& key);

  // Caches `cert` under `key` and returns it; if another thread inserted the key first, that
  // entry wins and is returned, so every user shares one certificate. May evict.
  std::shared_ptr<X509> insert(const std::string& key, X509Ptr cert);

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Shard {
    using Entry = std::pair<std::string, std::shared_ptr<X509>>;
    mutable std::mutex mutex;
    std::size_t capacity = 0;
    std::list<Entry> lru;  // front = most recently used
    std::unordered_map<std::string, std::list<Entry>::iterator> index;
  };

  Shard& shard_for(const std::string& key);

  std::size_t capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace tlsgate::tls

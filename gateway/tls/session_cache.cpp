#include "gateway/tls/session_cache.hpp"

namespace tlsgate::tls {

SessionCache::~SessionCache() {
  for (auto& [key, session] : lru_) SSL_SESSION_free(session);
}

void SessionCache::put(const std::string& key, SSL_SESSION* session) {
  if (capacity_ == 0) return;
  SSL_SESSION_up_ref(session);
  const std::lock_guard lock(mutex_);
  if (const auto it = index_.find(key); it != index_.end()) {
    SSL_SESSION_free(it->second->second);
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.emplace_front(key, session);
  index_[key] = lru_.begin();
  if (lru_.size() > capacity_) {
    SSL_SESSION_free(lru_.back().second);
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

SSL_SESSION* SessionCache::get(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  SSL_SESSION* session = it->second->second;
  // A TLS 1.3 ticket is single-use by design: hand it out once.
  if (SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION) {
    lru_.erase(it->second);
    index_.erase(it);
    return session;
  }
  SSL_SESSION_up_ref(session);
  return session;
}

std::size_t SessionCache::size() const {
  const std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace tlsgate::tls

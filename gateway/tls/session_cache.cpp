#include "gateway/tls/session_cache.hpp"

namespace tlsgate::tls {
namespace {

bool single_use(SSL_SESSION* session) { return SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION; }

}  // namespace

SessionCache::~SessionCache() {
  for (auto& server : lru_) {
    for (SSL_SESSION* session : server.sessions) SSL_SESSION_free(session);
  }
}

void SessionCache::drop_oldest_of(std::list<Server>::iterator server) {
  SSL_SESSION_free(server->sessions.front());
  server->sessions.pop_front();
  --count_;
  if (server->sessions.empty()) {
    index_.erase(server->key);
    lru_.erase(server);
  }
}

void SessionCache::put(const std::string& key, SSL_SESSION* session) {
  if (capacity_ == 0) return;
  SSL_SESSION_up_ref(session);
  const std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) {
    lru_.push_front(Server{key, {}});
    found = index_.emplace(key, lru_.begin()).first;
  } else {
    lru_.splice(lru_.begin(), lru_, found->second);
  }
  const auto server = found->second;
  if (!single_use(session)) {
    for (SSL_SESSION* old : server->sessions) SSL_SESSION_free(old);
    count_ -= server->sessions.size();
    server->sessions.clear();
  }
  server->sessions.push_back(session);
  ++count_;
  if (server->sessions.size() > tickets_per_server) drop_oldest_of(server);
  while (count_ > capacity_) drop_oldest_of(std::prev(lru_.end()));
}

SSL_SESSION* SessionCache::get(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  const auto server = found->second;
  lru_.splice(lru_.begin(), lru_, server);
  SSL_SESSION* session = server->sessions.back();
  if (!single_use(session)) {
    SSL_SESSION_up_ref(session);
    return session;
  }
  server->sessions.pop_back();  // the reference passes to the caller
  --count_;
  if (server->sessions.empty()) {
    index_.erase(found);
    lru_.erase(server);
  }
  return session;
}

std::size_t SessionCache::size() const {
  const std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace tlsgate::tls

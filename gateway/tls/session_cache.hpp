#pragma once
// Upstream TLS sessions for resumption, keyed by server (SNI + address):
// a bounded LRU shared by all workers.
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

class SessionCache {
 public:
  explicit SessionCache(std::size_t capacity) : capacity_(capacity) {}
  ~SessionCache();
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // Takes a reference of its own.
  void put(const std::string& key, SSL_SESSION* session);
  // A new reference (SSL_SESSION_free it) or nullptr.
  SSL_SESSION* get(const std::string& key);
  std::size_t size() const;

 private:
  using Entry = std::pair<std::string, SSL_SESSION*>;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace tlsgate::tls

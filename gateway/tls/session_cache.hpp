#pragma once
// Upstream TLS sessions for resumption, keyed by server (SNI + address): a
// bounded LRU shared by all workers. A TLS 1.3 ticket is used once, so a
// server keeps a few of them: parallel connections (a browser opens several)
// each find one.
#include <cstddef>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

class SessionCache {
 public:
  static constexpr std::size_t tickets_per_server = 4;

  // capacity: sessions kept in all (0 = off).
  explicit SessionCache(std::size_t capacity) : capacity_(capacity) {}
  ~SessionCache();
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // Takes a reference of its own. A TLS 1.3 ticket joins the server's others
  // (the oldest goes beyond tickets_per_server); an older protocol's session,
  // reusable, replaces them.
  void put(const std::string& key, SSL_SESSION* session);
  // A new reference (SSL_SESSION_free it) or nullptr; the newest first. A TLS
  // 1.3 ticket is handed out once.
  SSL_SESSION* get(const std::string& key);
  std::size_t size() const;  // sessions

 private:
  struct Server {
    std::string key;
    std::deque<SSL_SESSION*> sessions;  // oldest first
  };
  void drop_oldest_of(std::list<Server>::iterator server);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::size_t count_ = 0;
  std::list<Server> lru_;  // most recently used server first
  std::unordered_map<std::string, std::list<Server>::iterator> index_;
};

}  // namespace tlsgate::tls

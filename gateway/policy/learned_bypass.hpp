#pragma once
// Learned bypass: hosts whose clients rejected our forged certificate (pinning,
// CA not installed) are tunnelled instead of intercepted until the entry expires.
// It only turns `intercept` into `tunnel`, never overrides `block`: the caller
// consults it after Policy::decide() and only for an intercept decision.
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "gateway/ip_address.hpp"

namespace tlsgate::policy {

struct LearnedBypassError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thread-safe. Persisted as JSON in `file` (written to a temporary file, then
// renamed over it, so a crash leaves the old or the new list, never half of one).
class LearnedBypass {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // At most this many live entries; adding one more drops the one that expires first.
  static constexpr std::size_t max_entries = 100'000;

  // `file` empty: kept in memory only. all_clients: an entry applies to every
  // client (keyed on the host only); else to the client that rejected (host + client IP).
  // `clock` is for tests; the time is wall-clock because expiry is persisted.
  LearnedBypass(std::string file, std::chrono::seconds ttl, bool all_clients,
                Clock clock = [] { return std::chrono::system_clock::now(); });

  // Replaces the entries with the file's live ones. A missing file is an empty
  // list; an unreadable or corrupt one throws LearnedBypassError naming the file.
  void load();
  // True when a live entry covers (host, client). Host compared like the policy
  // does (case, trailing dot); the client unmapped (::ffff:10.0.0.1 is 10.0.0.1).
  bool contains(const std::string& host, const IpAddress& client) const;
  // Adds or renews the entry (expiry now + ttl) and saves the file. Throws
  // LearnedBypassError when the file cannot be written; the entry is kept in memory.
  void add(const std::string& host, const IpAddress& client, std::string why);
  // The number of live (unexpired) entries.
  std::size_t size() const;

 private:
  struct Entry {
    std::string host;  // normalized
    IpAddress client;  // unmapped; the client that was seen, even with all_clients
    std::string why;
    std::chrono::system_clock::time_point expires;
  };
  std::string key(const std::string& normalized_host, const IpAddress& client) const;
  void drop_expired(std::chrono::system_clock::time_point now);
  void save() const;  // caller holds the lock

  std::string file_;
  std::chrono::seconds ttl_;
  bool all_clients_;
  Clock clock_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace tlsgate::policy

#pragma once
// Whether the gateway's CA works for a client, from the outcomes of its
// intercepted handshakes: `working` once a handshake with a forged certificate
// completed and the client sent data through it; `failing` when it rejected a
// forged certificate (strong evidence only: a certificate alert, or leaving
// before its Finished) and nothing worked since the ttl began; `unknown`
// otherwise. A success outweighs rejections within the ttl: an app that pins
// its certificates rejects any forged one even where the CA is installed.
// Each kind of evidence counts for `ttl` after it was last seen, so a client
// whose CA was removed (or a new gateway CA) shows as working for up to `ttl`.
//
// Keyed on client_key() (an IPv6 client is its prefix). Bounded: past
// `max_clients` the client seen least recently is forgotten. Thread-safe; the
// lock is held for a map lookup, never for I/O.
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

#include "gateway/ip_address.hpp"

namespace tlsgate::policy {

enum class CaState { unknown, working, failing };
std::string_view to_string(CaState state);

struct ClientCaOptions {
  std::chrono::seconds ttl{24 * 3600};
  std::size_t max_clients = 65'536;
  unsigned client_ipv6_prefix = 64;  // config.client_ipv6_prefix
};

class ClientCaTable {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `clock` is for tests.
  explicit ClientCaTable(ClientCaOptions options = {},
                         Clock clock = [] { return std::chrono::steady_clock::now(); });

  // An intercepted flow in which the client accepted the forged certificate and sent data.
  void record_working(const IpAddress& client);
  // An intercepted flow whose client rejected the forged certificate.
  void record_failing(const IpAddress& client);

  CaState state(const IpAddress& client) const;

  struct Counts {
    std::size_t working = 0;
    std::size_t failing = 0;
  };
  // Clients in each state now (for the metrics); forgets expired clients. O(clients).
  Counts counts();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Entry {
    std::optional<TimePoint> working;  // last evidence of each kind
    std::optional<TimePoint> failing;
    std::list<IpAddress>::iterator seen;  // its place in seen_
  };

  void record(const IpAddress& client, std::optional<TimePoint> Entry::*kind);
  CaState state_of(const Entry& e, TimePoint now) const;
  void forget_expired(TimePoint now);

  ClientCaOptions options_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::map<IpAddress, Entry> entries_;
  std::list<IpAddress> seen_;  // least recently seen first: expiry and eviction take from the front
};

}  // namespace tlsgate::policy

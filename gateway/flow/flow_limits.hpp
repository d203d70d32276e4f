#pragma once
// How many flows the gateway holds, in total and per client (an IPv4 address or
// an IPv6 prefix: client_key.hpp), shared by every worker. A connection past either limit is refused (closed with RST) and
// counted; refusals are summarised, never logged one by one: a refused
// connection is not a flow. Thread-safe; no I/O.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "gateway/client_key.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate {

struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const noexcept;
};

class FlowLimits {
 public:
  enum class Verdict { admitted, max_flows, max_flows_per_client };

  // 0 means no limit. IPv6 clients count per `client_ipv6_prefix`.
  FlowLimits(std::size_t max_flows, std::size_t max_flows_per_client, unsigned client_ipv6_prefix = 128);

  // Admits a new flow from `client` or refuses it (and counts the refusal; the summary
  // names the client's key, e.g. the /64 as 2001:db8:1:2::).
  // Every admitted flow must be released exactly once.
  Verdict try_admit(const IpAddress& client);
  void release(const IpAddress& client);

  // The refusals counted since the last call, as the body of a "limit" event
  // (refused, refused_max_flows, clients[]); nullopt when there were none.
  std::optional<nlohmann::ordered_json> take_refusals();
  // The same, but at most once per `interval` across all callers (every
  // worker asks; one summary per interval is written).
  std::optional<nlohmann::ordered_json> take_refusals_if_due(std::chrono::steady_clock::time_point now,
                                                             std::chrono::milliseconds interval);

  std::size_t active() const { return total_.load(std::memory_order_relaxed); }
  std::uint64_t refused_total() const { return refused_total_.load(std::memory_order_relaxed); }
  // Clients with at least one active flow (tests: entries are erased at 0).
  std::size_t tracked_clients() const;

 private:
  struct Refused {
    std::uint64_t per_client = 0;  // refused by max_flows_per_client
    std::uint64_t global = 0;      // refused by max_flows
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<IpAddress, std::size_t, IpAddressHash> active;
    std::map<IpAddress, Refused> refused;  // ordered: stable event output
  };
  static constexpr std::size_t shard_count = 16;
  Shard& shard(const IpAddress& client);

  std::size_t max_flows_;
  std::size_t max_per_client_;
  unsigned client_ipv6_prefix_;
  std::atomic<std::size_t> total_{0};
  std::atomic<std::uint64_t> refused_total_{0};
  std::atomic<std::int64_t> last_summary_ns_{0};
  std::array<Shard, shard_count> shards_;
};

}  // namespace tlsgate

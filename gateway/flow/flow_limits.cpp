#include "gateway/flow/flow_limits.hpp"

namespace tlsgate {

std::size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
  // FNV-1a over the address bytes: cheap, and good enough to spread shards.
  std::uint64_t h = 1469598103934665603ull;
  for (const auto b : a.octets()) h = (h ^ b) * 1099511628211ull;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

FlowLimits::FlowLimits(std::size_t max_flows, std::size_t max_flows_per_client, unsigned client_ipv6_prefix)
    : max_flows_(max_flows), max_per_client_(max_flows_per_client), client_ipv6_prefix_(client_ipv6_prefix) {}

FlowLimits::Shard& FlowLimits::shard(const IpAddress& client) {
  return shards_[IpAddressHash{}(client) % shard_count];
}

FlowLimits::Verdict FlowLimits::try_admit(const IpAddress& address) {
  const IpAddress client = client_key(address, client_ipv6_prefix_);
  Shard& s = shard(client);
  std::lock_guard lock(s.mutex);
  // Reserve a global slot first; give it back if the client is over its own limit.
  const std::size_t before = total_.fetch_add(1, std::memory_order_relaxed);
  if (max_flows_ != 0 && before >= max_flows_) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    ++s.refused[client].global;
    refused_total_.fetch_add(1, std::memory_order_relaxed);
    return Verdict::max_flows;
  }
  std::size_t& mine = s.active[client];
  if (max_per_client_ != 0 && mine >= max_per_client_) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    ++s.refused[client].per_client;
    refused_total_.fetch_add(1, std::memory_order_relaxed);
    return Verdict::max_flows_per_client;
  }
  ++mine;
  return Verdict::admitted;
}

void FlowLimits::release(const IpAddress& address) {
  const IpAddress client = client_key(address, client_ipv6_prefix_);
  Shard& s = shard(client);
  std::lock_guard lock(s.mutex);
  const auto it = s.active.find(client);
  if (it == s.active.end()) return;  // not admitted: a caller bug, but never underflow
  if (--it->second == 0) s.active.erase(it);  // idle clients cost nothing
  total_.fetch_sub(1, std::memory_order_relaxed);
}

std::optional<nlohmann::ordered_json> FlowLimits::take_refusals() {
  std::map<IpAddress, Refused> all;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [ip, r] : s.refused) all.emplace(ip, r);
    s.refused.clear();
  }
  if (all.empty()) return std::nullopt;
  std::uint64_t total = 0, global = 0;
  auto clients = nlohmann::ordered_json::array();
  for (const auto& [ip, r] : all) {
    total += r.per_client + r.global;
    global += r.global;
    nlohmann::ordered_json c;
    c["client"] = ip.to_string();
    c["refused"] = r.per_client + r.global;
    c["refused_max_flows"] = r.global;
    clients.push_back(std::move(c));
  }
  nlohmann::ordered_json body;
  body["refused"] = total;
  body["refused_max_flows"] = global;
  body["active_flows"] = active();
  body["max_flows"] = max_flows_;
  body["max_flows_per_client"] = max_per_client_;
  body["clients"] = std::move(clients);
  return body;
}

std::optional<nlohmann::ordered_json> FlowLimits::take_refusals_if_due(std::chrono::steady_clock::time_point now,
                                                                     std::chrono::milliseconds interval) {
  const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::int64_t last = last_summary_ns_.load(std::memory_order_relaxed);
  const std::int64_t step = std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count();
  if (last != 0 && now_ns - last < step) return std::nullopt;
  // One caller per interval wins the slot; the others return empty-handed.
  if (!last_summary_ns_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) return std::nullopt;
  return take_refusals();
}

std::size_t FlowLimits::tracked_clients() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.active.size();
  }
  return n;
}

}  // namespace tlsgate

#include "gateway/policy/client_ca.hpp"

#include <algorithm>

#include "gateway/client_key.hpp"

namespace tlsgate::policy {

std::string_view to_string(CaState state) {
  switch (state) {
    case CaState::unknown: return "unknown";
    case CaState::working: return "working";
    case CaState::failing: return "failing";
  }
  return "unknown";
}

ClientCaTable::ClientCaTable(ClientCaOptions options, Clock clock)
    : options_(options), clock_(std::move(clock)) {
  options_.max_clients = std::max<std::size_t>(options_.max_clients, 1);
}

void ClientCaTable::record_working(const IpAddress& client) { record(client, &Entry::working); }

void ClientCaTable::record_failing(const IpAddress& client) { record(client, &Entry::failing); }

void ClientCaTable::record(const IpAddress& client, std::optional<TimePoint> Entry::*kind) {
  const IpAddress key = client_key(client, options_.client_ipv6_prefix);
  const TimePoint now = clock_();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    forget_expired(now);
    if (entries_.size() >= options_.max_clients) {
      entries_.erase(seen_.front());
      seen_.pop_front();
    }
    seen_.push_back(key);
    it = entries_.emplace(key, Entry{std::nullopt, std::nullopt, std::prev(seen_.end())}).first;
  } else {
    seen_.splice(seen_.end(), seen_, it->second.seen);  // now the most recently seen
  }
  it->second.*kind = now;
}

CaState ClientCaTable::state_of(const Entry& e, TimePoint now) const {
  const auto live = [&](const std::optional<TimePoint>& t) { return t && now - *t < options_.ttl; };
  if (live(e.working)) return CaState::working;
  if (live(e.failing)) return CaState::failing;
  return CaState::unknown;
}

CaState ClientCaTable::state(const IpAddress& client) const {
  const IpAddress key = client_key(client, options_.client_ipv6_prefix);
  const TimePoint now = clock_();
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it == entries_.end() ? CaState::unknown : state_of(it->second, now);
}

// An entry's newest evidence is its last sighting: past the ttl of that, all of it expired.
void ClientCaTable::forget_expired(TimePoint now) {
  while (!seen_.empty()) {
    const auto it = entries_.find(seen_.front());
    if (state_of(it->second, now) != CaState::unknown) break;
    entries_.erase(it);
    seen_.pop_front();
  }
}

ClientCaTable::Counts ClientCaTable::counts() {
  const TimePoint now = clock_();
  std::lock_guard lock(mutex_);
  forget_expired(now);
  Counts out;
  for (const auto& [client, entry] : entries_) {
    const CaState s = state_of(entry, now);
    out.working += s == CaState::working ? 1 : 0;
    out.failing += s == CaState::failing ? 1 : 0;
  }
  return out;
}

}  // namespace tlsgate::policy

#include "gateway/policy/learned_bypass.hpp"

#include <algorithm>

#include "gateway/client_key.hpp"
#include "gateway/policy/host_pattern.hpp"

namespace tlsgate::policy {

using std::chrono::system_clock;

std::string_view to_string(BypassChange change) {
  switch (change) {
    case BypassChange::learned: return "learned";
    case BypassChange::expired: return "expired";
    case BypassChange::forgotten: return "forgotten";
    case BypassChange::cleared: return "cleared";
    case BypassChange::evicted: return "evicted";
  }
  return "learned";
}

LearnedBypass::LearnedBypass(LearnedBypassOptions options, EventSink sink, Clock clock)
    : options_(std::move(options)), sink_(std::move(sink)), clock_(std::move(clock)) {
  options_.weak_threshold = std::max<std::size_t>(options_.weak_threshold, 1);
  options_.max_per_client = std::max<std::size_t>(options_.max_per_client, 1);
  options_.max_entries = std::max<std::size_t>(options_.max_entries, 1);
  options_.all_clients_min_clients = std::max<std::size_t>(options_.all_clients_min_clients, 1);
}

std::string LearnedBypass::key(const std::string& normalized_host, const IpAddress& client) const {
  return options_.all_clients ? normalized_host : pair_key(normalized_host, client);
}

std::string LearnedBypass::pair_key(const std::string& normalized_host, const IpAddress& client) {
  return normalized_host + " " + client.unmapped().to_string();
}

void LearnedBypass::emit(Pending& pending) const {
  if (!sink_) return;
  for (auto& e : pending.events) sink_(std::move(e));
}

template <class Change>
std::size_t LearnedBypass::apply(Change&& change) {
  const auto now = clock_();
  Pending pending;
  {
    std::unique_lock lock(mutex_);
    change(now, pending);
  }
  emit(pending);
  return pending.events.size();
}

bool LearnedBypass::contains(const std::string& host, const IpAddress& client) {
  const auto k = key(normalize_host(host), client);
  const auto now = clock_();
  {
    std::shared_lock lock(mutex_);
    const auto it = entries_.find(k);
    if (it == entries_.end()) return false;
    if (it->second.expires > now) return true;
  }
  // Expired: noticed here, so say so now rather than at the next sweep.
  apply([&](system_clock::time_point, Pending& out) {
    const auto it = entries_.find(k);
    if (it != entries_.end() && it->second.expires <= now) erase(it, BypassChange::expired, now, out);
  });
  return false;
}

bool LearnedBypass::record_rejection(const std::string& host, const IpAddress& client, Evidence evidence,
                                     std::string why) {
  const std::string h = normalize_host(host);
  const IpAddress c = client.unmapped();
  if (!may_teach(c)) return false;
  bool learned = false;
  apply([&](system_clock::time_point now, Pending& out) {
    std::size_t count = 1;
    if (evidence == Evidence::weak) {
      if (!weak_counts(pair_key(h, c), now, count)) return;
    } else {
      trackers_.erase(pair_key(h, c));
    }
    if (options_.all_clients) {
      const auto live = entries_.find(h);
      const bool renewal = live != entries_.end() && live->second.expires > now;
      if (!renewal && !enough_witnesses(h, c, now, count)) return;
    }
    learn(BypassEntry{h, c, options_.all_clients, std::move(why), count, now, now + options_.ttl}, now, out);
    ++learned_[evidence == Evidence::weak ? 1 : 0][options_.all_clients ? 1 : 0];
    learned = true;
  });
  return learned;
}

bool LearnedBypass::may_teach(const IpAddress& client) const {
  if (options_.clients.empty()) return true;
  return std::any_of(options_.clients.begin(), options_.clients.end(),
                     [&](const Cidr& allowed) { return allowed.contains(client); });
}

// Adds `client`'s `count` pieces to the host's witnesses; true (with the pieces of
// them all in `count`) when all_clients_min_clients distinct clients gave evidence
// within the ttl. The lock is held.
bool LearnedBypass::enough_witnesses(const std::string& normalized_host, const IpAddress& client,
                                     system_clock::time_point now, std::size_t& count) {
  auto it = witnesses_.find(normalized_host);
  if (it == witnesses_.end()) {
    if (witnesses_.size() >= options_.max_entries) prune_witnesses(now);
    if (witnesses_.size() >= options_.max_entries) return false;  // bounded memory: not counted
    it = witnesses_.emplace(normalized_host, std::vector<Witness>{}).first;
  }
  std::vector<Witness>& seen = it->second;
  std::erase_if(seen, [&](const Witness& w) { return now - w.when >= options_.ttl; });
  const std::string slot = client_slot(client);
  const auto same = std::find_if(seen.begin(), seen.end(), [&](const Witness& w) { return w.client == slot; });
  if (same != seen.end()) {
    same->evidence += count;
    same->when = now;
  } else {
    seen.push_back(Witness{slot, count, now});
  }
  if (seen.size() < options_.all_clients_min_clients) return false;
  count = 0;
  for (const Witness& w : seen) count += w.evidence;
  witnesses_.erase(it);
  return true;
}

void LearnedBypass::prune_witnesses(system_clock::time_point now) {
  std::erase_if(witnesses_, [&](const auto& kv) {
    return std::none_of(kv.second.begin(), kv.second.end(),
                        [&](const Witness& w) { return now - w.when < options_.ttl; });
  });
}

std::uint64_t LearnedBypass::learned_total(Evidence evidence, bool all_clients) const {
  return learned_[evidence == Evidence::weak ? 1 : 0][all_clients ? 1 : 0].load(std::memory_order_relaxed);
}

// Adds the weak piece at `now`; true (with the pieces in the window) when they reach
// the threshold. A success between the pair within the window blocks counting.
bool LearnedBypass::weak_counts(const std::string& pair, system_clock::time_point now, std::size_t& count) {
  Tracker* t = tracker(pair, now);
  if (!t) return false;  // bounded memory: not counted
  if (t->success && now - *t->success < options_.weak_window) return false;
  std::erase_if(t->weak, [&](auto when) { return now - when >= options_.weak_window; });
  t->weak.push_back(now);
  if (t->weak.size() < options_.weak_threshold) return false;
  count = t->weak.size();
  trackers_.erase(pair);
  return true;
}

// The tracker of `pair`, made if need be; nullptr when max_entries live trackers fill
// the table (bounded memory). The lock is held.
LearnedBypass::Tracker* LearnedBypass::tracker(const std::string& pair, system_clock::time_point now) {
  if (auto it = trackers_.find(pair); it != trackers_.end()) return &it->second;
  if (trackers_.size() >= options_.max_entries) prune_trackers(now);
  if (trackers_.size() >= options_.max_entries) return nullptr;
  return &trackers_.emplace(pair, Tracker{}).first->second;
}

void LearnedBypass::record_success(const std::string& host, const IpAddress& client) {
  const auto now = clock_();
  const std::string pair = pair_key(normalize_host(host), client);
  std::unique_lock lock(mutex_);
  if (Tracker* t = tracker(pair, now)) {
    t->success = now;
    t->weak.clear();
  }
}

void LearnedBypass::add(const std::string& host, const IpAddress& client, std::string why) {
  record_rejection(host, client, Evidence::strong, std::move(why));
}

std::string LearnedBypass::client_slot(const IpAddress& client) const {
  return client_key(client, options_.client_ipv6_prefix).to_string();
}

void LearnedBypass::learn(BypassEntry entry, system_clock::time_point now, Pending& out) {
  auto k = key(entry.host, entry.client);
  if (auto it = entries_.find(k); it != entries_.end()) {
    // Renewed: the evidence adds up; the client it counts against is the latest one.
    entry.evidence += it->second.evidence;
    if (--per_client_[client_slot(it->second.client)] == 0) per_client_.erase(client_slot(it->second.client));
    entries_.erase(it);
  } else {
    make_room(entry, now, out);
  }
  ++per_client_[client_slot(entry.client)];
  out.events.push_back({entry, BypassChange::learned, now});
  entries_.insert_or_assign(std::move(k), std::move(entry));
  ++generation_;
}

// Keeps the caps: one client's oldest entry goes at max_per_client (so no client can
// fill the table), the entry that expires first at max_entries.
void LearnedBypass::make_room(const BypassEntry& incoming, system_clock::time_point now, Pending& out) {
  const std::string slot = client_slot(incoming.client);
  const auto count = per_client_.find(slot);
  if (count != per_client_.end() && count->second >= options_.max_per_client) {
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (client_slot(it->second.client) == slot &&
          (oldest == entries_.end() || it->second.learned < oldest->second.learned))
        oldest = it;
    if (oldest != entries_.end()) erase(oldest, BypassChange::evicted, now, out);
  }
  if (entries_.size() >= options_.max_entries) {
    const auto first = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    });
    erase(first, first->second.expires <= now ? BypassChange::expired : BypassChange::evicted, now, out);
  }
}

void LearnedBypass::erase(Entries::iterator it, BypassChange change, system_clock::time_point now, Pending& out) {
  if (auto c = per_client_.find(client_slot(it->second.client)); c != per_client_.end() && --c->second == 0)
    per_client_.erase(c);
  out.events.push_back({it->second, change, now});
  entries_.erase(it);
  ++generation_;
}

void LearnedBypass::prune_trackers(system_clock::time_point now) {
  std::erase_if(trackers_, [&](const auto& kv) {
    const Tracker& t = kv.second;
    const bool success_live = t.success && now - *t.success < options_.weak_window;
    const bool weak_live = std::any_of(t.weak.begin(), t.weak.end(),
                                       [&](auto when) { return now - when < options_.weak_window; });
    return !success_live && !weak_live;
  });
}

std::vector<BypassEntry> LearnedBypass::list() const {
  const auto now = clock_();
  std::vector<BypassEntry> out;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [k, e] : entries_)
      if (e.expires > now) out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const BypassEntry& a, const BypassEntry& b) {
    return std::tie(a.host, a.client) < std::tie(b.host, b.client);
  });
  return out;
}

std::size_t LearnedBypass::forget(const std::string& host, const std::optional<IpAddress>& client) {
  const std::string h = normalize_host(host);
  const std::optional<IpAddress> c = client ? std::optional(client->unmapped()) : std::nullopt;
  return apply([&](system_clock::time_point now, Pending& out) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      const BypassEntry& e = it->second;
      const bool covers = !c || e.all_clients || e.client == *c;
      auto next = std::next(it);
      if (e.host == h && covers) erase(it, BypassChange::forgotten, now, out);
      it = next;
    }
    // Weak evidence starts afresh too: forgetting means "try intercepting again".
    std::erase_if(trackers_, [&](const auto& kv) {
      return kv.first.starts_with(h + " ") && (!c || kv.first == pair_key(h, *c));
    });
    if (const auto w = witnesses_.find(h); w != witnesses_.end()) {
      if (c) std::erase_if(w->second, [&](const Witness& x) { return x.client == client_slot(*c); });
      if (!c || w->second.empty()) witnesses_.erase(w);
    }
  });
}

std::size_t LearnedBypass::clear() {
  return apply([&](system_clock::time_point now, Pending& out) {
    while (!entries_.empty()) erase(entries_.begin(), BypassChange::cleared, now, out);
    trackers_.clear();
    witnesses_.clear();
  });
}

std::size_t LearnedBypass::sweep() {
  return apply([&](system_clock::time_point now, Pending& out) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      auto next = std::next(it);
      if (it->second.expires <= now) erase(it, BypassChange::expired, now, out);
      it = next;
    }
    prune_trackers(now);
    prune_witnesses(now);
  });
}

std::size_t LearnedBypass::size() const {
  const auto now = clock_();
  std::shared_lock lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.second.expires > now; }));
}

bool LearnedBypass::dirty() const {
  std::shared_lock lock(mutex_);
  return generation_ != saved_generation_;
}

}  // namespace tlsgate::policy

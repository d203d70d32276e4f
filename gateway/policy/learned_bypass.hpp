#pragma once
// Learned bypass: a (client, host) whose client rejected our forged certificate
// (pinning, CA not installed) is tunnelled instead of intercepted until the
// entry expires. It only turns `intercept` into `tunnel`, never overrides
// `block`: the caller consults it after Policy::match(), for intercept only.
//
// It learns only from evidence (docs/policy.md): strong evidence (a fatal
// certificate alert from the client during its handshake, or the client leaving
// before its Finished) learns at once; weak evidence (a close after a completed
// handshake with no application data, which browsers do with spare connections)
// counts only when repeated `weak_threshold` times within `weak_window` for the
// same client and host while no exchange between them succeeded in that window.
//
// The operator scopes it: only clients inside `clients` teach (others' evidence
// is ignored), and an entry for every client (all_clients) needs evidence from
// `all_clients_min_clients` distinct clients within the ttl; a live entry is
// renewed by one more piece. Which clients gave evidence is kept in memory only,
// at most that many per host and max_entries hosts. Rules that say
// `learn_bypass: false` are the caller's part (the flow drops their evidence and
// decide_flow ignores entries for them).
//
// Thread-safe. No file I/O on the data path: changes mark the table dirty and
// the daemon's control thread calls save_if_dirty() (gateway/daemon/bypass_upkeep).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/ip_address.hpp"
#include "gateway/policy/cidr.hpp"

namespace tlsgate::policy {

struct LearnedBypassError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Evidence {
  strong,  // a fatal certificate alert during the client's handshake, or a close/reset before its Finished
  weak,    // a close after a completed handshake without application data
};

// Why an entry left the table or came in: the `change` of a `bypass` event.
// evicted: pushed out by max_per_client or max_entries.
enum class BypassChange { learned, expired, forgotten, cleared, evicted };
std::string_view to_string(BypassChange change);

struct LearnedBypassOptions {
  std::string file;  // empty: kept in memory only
  std::chrono::seconds ttl{24 * 3600};
  bool all_clients = false;  // an entry covers every client (keyed on the host only)
  std::size_t weak_threshold = 3;
  std::chrono::seconds weak_window{600};
  std::size_t max_per_client = 256;  // entries learned from one client; the oldest goes
  unsigned client_ipv6_prefix = 128;  // one client for max_per_client: an IPv6 prefix (client_key.hpp)
  std::size_t max_entries = 100'000;  // in all; the one that expires first goes
  std::vector<Cidr> clients;          // the clients that may teach; empty: all of them
  std::size_t all_clients_min_clients = 2;  // distinct clients whose evidence makes an all-clients entry
};

struct BypassEntry {
  std::string host;    // normalized (lowercase, no trailing dot)
  IpAddress client;    // unmapped; the client that was seen, even with all_clients
  bool all_clients = false;  // the entry covers every client
  std::string why;
  std::size_t evidence = 1;  // pieces of evidence that led to it
  std::chrono::system_clock::time_point learned;
  std::chrono::system_clock::time_point expires;
};

// One change of the table: the facts of a `"event":"bypass"` line (log/events/bypass_event).
struct BypassEvent {
  BypassEntry entry;
  BypassChange change = BypassChange::learned;
  std::chrono::system_clock::time_point ts;
};

class LearnedBypass {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // Receives every change. Called without the table's lock held; must not throw
  // (the daemon's writes it to the flow log as a `bypass` event).
  using EventSink = std::function<void(BypassEvent)>;

  // `clock` is for tests; the time is wall-clock because expiry is persisted.
  explicit LearnedBypass(LearnedBypassOptions options, EventSink sink = {},
                         Clock clock = [] { return std::chrono::system_clock::now(); });

  // Replaces the entries with the file's live ones (no events). A missing file is an
  // empty list; an unreadable or corrupt one throws LearnedBypassError naming the file.
  void load();

  // True when a live entry covers (host, client). Host compared like the policy does
  // (case, trailing dot); the client unmapped. An expired entry found here is removed
  // (an `expired` event).
  bool contains(const std::string& host, const IpAddress& client);
  // The evidence of one intercepted flow that the client did not accept. Returns true
  // when this learned (or renewed) an entry; `why` becomes the entry's reason.
  bool record_rejection(const std::string& host, const IpAddress& client, Evidence evidence, std::string why);
  // One intercepted flow in which the client sent application data: weak evidence
  // between them in the window no longer counts, nor does more within the window.
  void record_success(const std::string& host, const IpAddress& client);
  // Deprecated: record_rejection(host, client, Evidence::strong, why). Never throws.
  void add(const std::string& host, const IpAddress& client, std::string why);

  // The live entries, by host then client.
  std::vector<BypassEntry> list() const;
  // Removes the entries for `host` (all clients', or only those learned from `client`,
  // or the all-clients entry for the host). Returns how many; a `forgotten` event each.
  std::size_t forget(const std::string& host, const std::optional<IpAddress>& client);
  // Removes every entry and pending weak evidence; a `cleared` event per entry.
  std::size_t clear();
  // Removes expired entries (an `expired` event each) and stale weak evidence.
  std::size_t sweep();
  // The number of live (unexpired) entries.
  std::size_t size() const;
  // Entries learned (or renewed) since start, by the evidence that completed them and
  // by scope (all_clients or one client). For the metrics.
  std::uint64_t learned_total(Evidence evidence, bool all_clients) const;

  // True when the table changed since the last successful save.
  bool dirty() const;
  // Writes the file if the table changed (temporary file, fsync, rename): the old or
  // the new list survives a crash. Meant for one background thread; throws
  // LearnedBypassError when the file cannot be written (the table stays dirty).
  void save_if_dirty();

 private:
  // Weak evidence and successes of one (client, host), kept for weak_window.
  struct Tracker {
    std::vector<std::chrono::system_clock::time_point> weak;
    std::optional<std::chrono::system_clock::time_point> success;
  };
  // The distinct clients (client_slot) whose evidence for one host awaits all_clients_min_clients.
  struct Witness {
    std::string client;  // client_slot: an IPv6 client's other addresses in its prefix are the same client
    std::size_t evidence = 1;
    std::chrono::system_clock::time_point when;
  };
  struct Pending {  // events made under the lock, emitted after it
    std::vector<BypassEvent> events;
  };
  using Entries = std::unordered_map<std::string, BypassEntry>;

  std::string key(const std::string& normalized_host, const IpAddress& client) const;
  std::string client_slot(const IpAddress& client) const;  // per_client_'s key
  static std::string pair_key(const std::string& normalized_host, const IpAddress& client);
  void learn(BypassEntry entry, std::chrono::system_clock::time_point now, Pending& out);
  void erase(Entries::iterator it, BypassChange change, std::chrono::system_clock::time_point now, Pending& out);
  void make_room(const BypassEntry& incoming, std::chrono::system_clock::time_point now, Pending& out);
  bool weak_counts(const std::string& pair, std::chrono::system_clock::time_point now, std::size_t& count);
  bool may_teach(const IpAddress& client) const;
  bool enough_witnesses(const std::string& normalized_host, const IpAddress& client,
                        std::chrono::system_clock::time_point now, std::size_t& count);
  Tracker* tracker(const std::string& pair, std::chrono::system_clock::time_point now);
  void prune_trackers(std::chrono::system_clock::time_point now);
  void prune_witnesses(std::chrono::system_clock::time_point now);
  void emit(Pending& pending) const;
  // Every change to the table: runs change(now, pending) under the write lock, then
  // emits the events it made, without the lock. Returns how many there were.
  template <class Change>
  std::size_t apply(Change&& change);

  LearnedBypassOptions options_;
  EventSink sink_;
  Clock clock_;
  mutable std::shared_mutex mutex_;
  Entries entries_;
  std::unordered_map<std::string, std::size_t> per_client_;  // client_slot -> entries learned from it
  std::unordered_map<std::string, Tracker> trackers_;        // pair_key -> weak evidence, success
  std::unordered_map<std::string, std::vector<Witness>> witnesses_;  // host -> clients that gave evidence
  std::atomic<std::uint64_t> learned_[2][2] = {};             // [evidence][all_clients]
  std::uint64_t generation_ = 0;                             // bumped on every change
  std::uint64_t saved_generation_ = 0;
  std::mutex save_mutex_;  // one writer of the file at a time
};

}  // namespace tlsgate::policy

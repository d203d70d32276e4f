#pragma once
// What the watchdog and the worker see of a running flow (FlowWatch), and the
// per-worker registry of running flows. The
// watchdog sleeps on `timer` until the flow's next deadline: the end of its
// phase (every phase before the relay has one) or its idle deadline (the relay
// and every other phase). The registry's owner (the worker) cancels every
// timer to end its flows at shutdown, and lists them for `tlsgate status
// --flows`, and re-decides them after a policy reload: a flow the new policy
// refuses is marked and its watchdog woken, which ends it like a deadline.
// Single thread: a registry and its flows live on one io_context (other
// threads post to it).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/log/flow_record.hpp"

namespace tlsgate {

struct FlowFacts;

// Where a flow is. A step that waits on the network enters its phase first.
enum class FlowPhase : std::uint8_t {
  decision,            // accepted: original destination, ClientHello, policy
  connect,             // TCP connect to the upstream
  upstream_handshake,  // TLS handshake with the upstream (intercept)
  client_handshake,    // TLS handshake with the client, forged certificate (intercept)
  relay,               // bytes move both ways: only the idle timeout ends it
};

constexpr std::string_view to_string(FlowPhase phase) {
  switch (phase) {
    case FlowPhase::decision: return "decision";
    case FlowPhase::connect: return "connect";
    case FlowPhase::upstream_handshake: return "upstream_handshake";
    case FlowPhase::client_handshake: return "client_handshake";
    case FlowPhase::relay: return "relay";
  }
  return "unknown";
}

struct FlowWatch {
  using Clock = std::chrono::steady_clock;
  // A phase's hard deadline is twice its own timeout (at least 1 s more): the
  // step's own timeout ends it first with its precise reason, even on a worker
  // stalled for a while; the deadline is the backstop for any path that would
  // wait past it.
  static constexpr auto min_phase_grace = std::chrono::seconds(1);
  static std::chrono::milliseconds phase_grace(std::chrono::milliseconds limit) {
    return std::max<std::chrono::milliseconds>(limit, min_phase_grace);
  }

  // Starts in the decision phase, which must end within `decision_limit` (+ grace).
  FlowWatch(asio::any_io_executor ex, const FlowRecord& flow, std::chrono::milliseconds decision_limit)
      : timer(std::move(ex)), record(&flow) {
    enter(FlowPhase::decision, decision_limit);
  }
  asio::steady_timer timer;
  const FlowRecord* record;  // id, addresses, start, verdict: for `status --flows` and reloads
  const FlowFacts* facts = nullptr;  // what the flow knows, while its steps run (for reloads)
  Clock::time_point last_activity = Clock::now();
  FlowPhase phase = FlowPhase::decision;
  Clock::time_point phase_deadline = Clock::time_point::max();
  bool terminating = false;
  std::optional<std::string> refused_by_reload;  // set: the watchdog resets the flow (`policy_reload`), why

  void touch() { last_activity = Clock::now(); }
  // A reload's policy refuses the flow: the watchdog ends it.
  void refuse_after_reload(std::string why) {
    refused_by_reload = std::move(why);
    timer.cancel();
  }
  // Enters `next`, which must end within `limit` (+ grace) or the watchdog ends the flow.
  void enter(FlowPhase next, std::chrono::milliseconds limit) {
    phase = next;
    phase_deadline = Clock::now() + limit + phase_grace(limit);
    // The watchdog sleeps until its earlier deadline: wake it to sleep until this one.
    if (phase_deadline < timer.expiry()) timer.cancel();
  }
  // The relay: no phase deadline, the idle timeout applies.
  void enter_relay() {
    phase = FlowPhase::relay;
    phase_deadline = Clock::time_point::max();
  }
};

// One running flow as `tlsgate status --flows` shows it.
struct FlowSnapshot {
  std::uint64_t flow_id = 0;
  Endpoint client;
  Endpoint server;
  std::optional<std::string> host;  // the name policy saw, when known
  FlowPhase phase = FlowPhase::decision;
  double age_s = 0;
  double idle_s = 0;
};

struct FlowList {
  std::size_t running = 0;  // all flows
  std::size_t older = 0;    // those older than asked
  std::vector<FlowSnapshot> oldest;
};

class FlowRegistry {
 public:
  void add(FlowWatch* flow) {
    flows_.insert(flow);
    if (terminating_) flow->terminating = true;
  }
  void remove(FlowWatch* flow) { flows_.erase(flow); }
  // Ends every running flow (and any that registers later) through its watchdog.
  void terminate_all() {
    terminating_ = true;
    for (FlowWatch* f : flows_) {
      f->terminating = true;
      f->timer.cancel();
    }
  }
  std::size_t size() const { return flows_.size(); }

  // Ends, through its watchdog, every running flow that still knows its facts
  // and that `refused(facts, record)` gives a reason to close (std::optional<std::string>).
  // Returns how many it marked.
  template <class Refused>
  std::size_t refuse_where(Refused refused) {
    std::size_t marked = 0;
    for (FlowWatch* f : flows_) {
      if (!f->facts || f->refused_by_reload || f->terminating) continue;
      if (std::optional<std::string> why = refused(*f->facts, *f->record)) {
        f->refuse_after_reload(std::move(*why));
        ++marked;
      }
    }
    return marked;
  }

  // The flows running for at least `older_than`: how many, and the oldest `max_count` of them, oldest first.
  FlowList snapshot(std::chrono::steady_clock::duration older_than, std::size_t max_count) const {
    using seconds = std::chrono::duration<double>;
    const auto now = std::chrono::steady_clock::now();
    std::vector<const FlowWatch*> old;
    for (const FlowWatch* f : flows_)
      if (now - f->record->start >= older_than) old.push_back(f);
    const auto by_start = [](const FlowWatch* a, const FlowWatch* b) { return a->record->start < b->record->start; };
    const std::size_t n = std::min(max_count, old.size());
    std::partial_sort(old.begin(), old.begin() + static_cast<std::ptrdiff_t>(n), old.end(), by_start);
    FlowList list{flows_.size(), old.size(), {}};
    list.oldest.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const FlowWatch& f = *old[i];
      FlowSnapshot s{f.record->flow_id, f.record->client, f.record->server, std::nullopt, f.phase,
                     seconds(now - f.record->start).count(), seconds(now - f.last_activity).count()};
      if (f.record->verdict.host) s.host = *f.record->verdict.host;
      list.oldest.push_back(std::move(s));
    }
    return list;
  }

 private:
  std::unordered_set<FlowWatch*> flows_;
  bool terminating_ = false;
};

// Registers a flow for the lifetime of the flow coroutine.
class FlowRegistration {
 public:
  FlowRegistration(FlowRegistry& registry, FlowWatch& flow) : registry_(registry), flow_(flow) {
    registry_.add(&flow_);
  }
  ~FlowRegistration() { registry_.remove(&flow_); }
  FlowRegistration(const FlowRegistration&) = delete;
  FlowRegistration& operator=(const FlowRegistration&) = delete;

 private:
  FlowRegistry& registry_;
  FlowWatch& flow_;
};

}  // namespace tlsgate

#include "gateway/flow/flow.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "gateway/flow/flow_watch.hpp"
#include "gateway/flow/carry_out.hpp"
#include "gateway/flow/forbidden_destinations.hpp"
#include "gateway/flow/original_dst.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/flow/refusal.hpp"
#include "gateway/log/events/flow_event.hpp"
#include "gateway/flow/tls_port.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {
namespace {

using namespace asio::experimental::awaitable_operators;
using std::chrono::steady_clock;

enum class WatchdogEnd { idle, phase, shutdown, policy_reload };

// Wakes whatever the flow still waits on: a step that missed the cancellation
// finds its sockets shut down, so the flow ends even then.
void shut_down(tcp::socket& socket) {
  if (socket.is_open()) ::shutdown(socket.native_handle(), SHUT_RDWR);
}

// Resets the connection at once (RST, no FIN first) and wakes whatever waits
// on it with ECONNRESET. Disconnecting (connect() to AF_UNSPEC) keeps the
// descriptor open: a step still holding it cannot reach a reused number.
void abort_connection(tcp::socket& socket) {
  if (!socket.is_open()) return;
  sockaddr unspecified{};
  unspecified.sa_family = AF_UNSPEC;
  if (::connect(socket.native_handle(), &unspecified, sizeof unspecified) != 0) shut_down(socket);
  boost::system::error_code ec;
  socket.set_option(asio::socket_base::linger(true, 0), ec);  // and the final close() sends no FIN either
}

// Ends the flow when its phase overran its deadline, when nothing moved for
// idle_timeout, when the worker terminates flows at shutdown, or when a policy
// reload refused it (both sides reset). Sleeps until the nearest deadline, not per tick.
awaitable<WatchdogEnd> watchdog(FlowContext& flow, std::chrono::seconds idle_timeout) {
  FlowWatch& control = flow.control;
  for (;;) {
    const auto now = steady_clock::now();
    const auto idle_deadline = control.last_activity + idle_timeout;
    std::optional<WatchdogEnd> end;
    if (control.terminating) end = WatchdogEnd::shutdown;
    else if (control.refused_by_reload) end = WatchdogEnd::policy_reload;
    else if (now >= control.phase_deadline) end = WatchdogEnd::phase;
    else if (now >= idle_deadline) end = WatchdogEnd::idle;
    if (end) {
      void (*end_socket)(tcp::socket&) = end == WatchdogEnd::policy_reload ? abort_connection : shut_down;
      end_socket(flow.client);
      end_socket(flow.upstream);
      co_return *end;
    }
    control.timer.expires_at(std::min(idle_deadline, control.phase_deadline));
    co_await control.timer.async_wait(use_tuple);
    if (co_await cancelled()) co_return WatchdogEnd::shutdown;  // the flow finished first; value unused
  }
}

// The client's MAC address, looked up only when a client group of the policy
// lists MACs. A client not in the table asks the daemon for a refresh (within
// a second); this flow goes on without a MAC.
std::optional<policy::MacAddress> client_mac(SharedState& shared, const policy::Policy& policy, const IpAddress& client) {
  if (!policy.uses_macs()) return std::nullopt;
  const auto table = shared.neighbours.load();
  auto mac = table ? table->find(client) : std::nullopt;
  if (!mac) shared.neighbour_miss.store(true, std::memory_order_relaxed);
  return mac;
}

// How the connection arrived, and for a TLS port what its first bytes say.
awaitable<void> learn_arrival(FlowContext& flow, RedirectMode mode, const OriginalDestinationLookup& find_original,
                              FlowFacts& facts) {
  const int fd = flow.client.native_handle();
  const auto local = local_endpoint(fd);
  int error = 0;
  const auto original = find_original(fd, mode, &error);
  facts.client = flow.record.client.ip;
  // The line's server: the original destination, or where the client connected.
  if (original || local) flow.record.server = original ? *original : *local;
  facts.server = flow.record.server;
  // No NAT entry (ENOENT) means nobody redirected this connection to us.
  if (!local || (!original && error != ENOENT)) {
    facts.arrival = Arrival::no_original_destination;
    facts.detail = local ? std::strerror(error) : "no local address";
    co_return;
  }
  const auto own = flow.shared.own_addresses.load();
  if (!original || !is_redirected(mode, *original, *local, own ? *own : std::vector<IpAddress>{})) {
    facts.arrival = Arrival::not_redirected;
    co_return;
  }
  if (is_forbidden(flow.shared.forbidden_destinations, original->ip)) {
    facts.forbidden_destination = true;
    co_return;  // refused before its first byte is read
  }
  facts.client_mac = client_mac(flow.shared, *flow.policy.current(), facts.client);
  facts.local_time = policy::local_minute_of_week(std::time(nullptr));
  const Config& config = flow.shared.config;
  facts.http_port = config.is_http_port(original->port);
  if (config.is_tls_port(original->port)) co_await look_at_hello(flow, facts);
}

// Shows the flow's facts to policy reloads while the steps that own them run.
class FactsShown {
 public:
  FactsShown(FlowWatch& control, const FlowFacts& facts) : control_(control) { control_.facts = &facts; }
  ~FactsShown() { control_.facts = nullptr; }
  FactsShown(const FactsShown&) = delete;
  FactsShown& operator=(const FactsShown&) = delete;

 private:
  FlowWatch& control_;
};

awaitable<FlowEnd> flow_steps(FlowContext& flow, RedirectMode mode, const OriginalDestinationLookup& find_original) {
  FlowFacts facts;
  const FactsShown shown(flow.control, facts);
  co_await learn_arrival(flow, mode, find_original, facts);
  FlowEnd end = co_await carry_out(flow, facts);
  co_return end;
}

FlowEnd watchdog_end(WatchdogEnd end, const FlowWatch& control, std::chrono::seconds idle_timeout) {
  if (end == WatchdogEnd::policy_reload)
    return FlowEnd{EndBy::error, control.refused_by_reload.value_or("policy reload"), EndReason::policy_reload};
  const FlowPhase phase = control.phase;
  if (end == WatchdogEnd::idle)
    return FlowEnd{EndBy::timeout, "no data for " + std::to_string(idle_timeout.count()) + " s", EndReason::idle_timeout};
  if (end == WatchdogEnd::phase)
    return FlowEnd{EndBy::timeout, "the " + std::string(to_string(phase)) + " phase overran its deadline",
                   EndReason::phase_timeout};
  return FlowEnd{EndBy::shutdown, "gateway shutting down", EndReason::shutdown};
}

// The flow's contribution to /metrics: one call per flow, beside its line.
void count(SharedState& shared, const FlowRecord& record) {
  const std::string reason = line_reason(record);
  metrics::FlowSummary summary;
  summary.action = to_string(record.verdict.action);
  summary.reason = reason;
  summary.proto = record.proto;
  summary.from_client = record.from_client;
  summary.to_client = record.to_client;
  summary.forged_cache_hit = record.forged_cache_hit;
  if (record.inspect_error) summary.inspect_error = *record.inspect_error;
  if (record.upstream_tls && !record.upstream_tls->error)
    summary.upstream_resumed = record.upstream_tls->negotiated.resumed;
  shared.metrics.flow_ended(summary);
}

}  // namespace

awaitable<void> run_flow(tcp::socket client, RedirectMode mode, OriginalDestinationLookup find_original,
                         SharedState& shared, FlowRegistry& registry) {
  FlowRecord record;
  record.flow_id = shared.next_flow_id.fetch_add(1, std::memory_order_relaxed);
  record.start_wall = std::chrono::system_clock::now();
  record.start = steady_clock::now();
  if (const auto peer = peer_endpoint(client.native_handle())) record.client = *peer;

  FlowWatch control(client.get_executor(), record, shared.config.peek_timeout);
  FlowRegistration registration(registry, control);
  tcp::socket upstream(client.get_executor());
  FlowContext flow{shared, client, upstream, record, control, SnapshotView(shared.policy)};
  // The record's end has this one writer; the verdict stays what the last decision said.
  try {
    auto result = co_await (flow_steps(flow, mode, find_original) || watchdog(flow, shared.config.idle_timeout));
    record.end = result.index() == 0 ? std::get<0>(std::move(result))
                                     : watchdog_end(std::get<1>(result), control, shared.config.idle_timeout);
  } catch (const std::exception& e) {
    record.end = FlowEnd{EndBy::error, e.what(), EndReason::internal_error};
  } catch (...) {
    record.end = FlowEnd{EndBy::error, "unknown exception", EndReason::internal_error};
  }
  close_socket(client);
  close_socket(upstream);
  shared.log.submit_event(log::flow_json(record, std::chrono::system_clock::now(), steady_clock::now()));
  count(shared, record);
}

}  // namespace tlsgate

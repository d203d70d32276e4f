#include "gateway/flow/flow.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "gateway/flow/record.hpp"
#include "gateway/flow/steps.hpp"
#include "gateway/flow/http_tap.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/flow/tls_port.hpp"
#include "gateway/flow/control.hpp"
#include "gateway/flow/original_dst.hpp"

namespace tlsgate {
namespace {

using namespace asio::experimental::awaitable_operators;
using std::chrono::steady_clock;

enum class WatchdogEnd { idle, shutdown };

// Ends the flow when nothing moved for idle_timeout, or when the worker
// terminates flows at shutdown. Sleeps until the idle deadline, not per tick.
awaitable<WatchdogEnd> watchdog(FlowControl& control, std::chrono::seconds idle_timeout) {
  for (;;) {
    if (control.terminating) co_return WatchdogEnd::shutdown;
    const auto deadline = control.last_activity + idle_timeout;
    if (steady_clock::now() >= deadline) co_return WatchdogEnd::idle;
    control.timer.expires_at(deadline);
    co_await control.timer.async_wait(use_tuple);
    if (co_await cancelled()) co_return WatchdogEnd::shutdown;  // the flow finished first; value unused
  }
}

std::string_view plain_proto(const Config& config, std::uint16_t port) {
  return config.is_http_port(port) ? "http" : "tcp";
}

awaitable<void> flow_steps(tcp::socket& client, tcp::socket& upstream, RedirectMode mode, SharedState& shared,
                           FlowRecord& record, FlowControl& control) {
  const Config& config = shared.config;
  const int fd = client.native_handle();

  const auto local = local_endpoint(fd);
  int error = 0;
  const auto original = original_destination(fd, mode, &error);
  // No NAT entry (ENOENT) means nobody redirected this connection to us.
  if (!local || (!original && error != ENOENT)) {
    record.action = FlowAction::reject;
    record.set_reason(EndReason::no_original_destination);
    record.end_by = EndBy::error;
    record.end_error = local ? std::strerror(error) : "no local address";
    reset_socket(client);
    co_return;
  }
  if (original) record.server = *original;
  const auto own = shared.own_addresses.load();
  if (!original || !is_redirected(mode, *original, *local, own ? *own : std::vector<IpAddress>{})) {
    record.action = FlowAction::reject;
    record.set_reason(EndReason::not_redirected);
    record.end_by = EndBy::error;
    record.end_error = "connection to the gateway itself: refused (not an open proxy)";
    reset_socket(client);
    co_return;
  }

  if (config.is_tls_port(original->port)) {
    co_await tls_port_flow(shared, client, upstream, record, control);
    co_return;
  }

  // Plain TCP: only the addresses and the port can decide.
  record.proto = plain_proto(config, original->port);
  policy::Query query;
  query.client = record.client.ip;
  query.server = original->ip;
  query.port = original->port;
  const policy::Decision decision = shared.policy.load()->decide(query);
  record_decision(record, decision);
  if (decision.action == policy::Action::block) {
    record.end_by = EndBy::error;
    record.end_error = "blocked by policy rule " + decision.rule;
    reset_socket(client);
    co_return;
  }
  // "Intercepting" plain HTTP means observing it on its way; anything else is relayed as is.
  std::unique_ptr<HttpTap> tap;
  if (decision.action == policy::Action::intercept && config.is_http_port(original->port)) {
    tap = HttpTap::for_cleartext(shared, record);
  }
  co_await tunnel_to_destination(client, upstream, record, control, config.connect_timeout, tap.get());
  if (tap) {
    record.action = FlowAction::intercept;
    tap->finish();
  }
}

// The value at `path` inside the record's extra fields, or null.
const nlohmann::ordered_json* extra_at(const FlowRecord& record, std::initializer_list<const char*> path) {
  const nlohmann::ordered_json* at = &record.extra;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

// The flow's contribution to /metrics (daemonops hook: one call per flow, beside its line).
void count(SharedState& shared, const FlowRecord& record) {
  metrics::FlowSummary summary;
  summary.action = to_string(record.action);
  summary.reason = record.reason;
  summary.proto = record.proto;
  summary.from_client = record.from_client;
  summary.to_client = record.to_client;
  if (const auto* cache = extra_at(record, {"tls", "forged", "cache"}); cache && cache->is_string())
    summary.forged_cache_hit = cache->get_ref<const std::string&>() == "hit";
  if (const auto* resumed = extra_at(record, {"tls", "upstream", "resumed"}); resumed && resumed->is_boolean())
    summary.upstream_resumed = resumed->get<bool>();
  shared.metrics.flow_ended(summary);
}

void emit(SharedState& shared, const FlowRecord& record) {
  const auto j = flow_json(record, std::chrono::system_clock::now(), steady_clock::now());
  shared.log.submit_event(j);
  count(shared, record);
}

}  // namespace

awaitable<void> run_flow(tcp::socket client, RedirectMode mode, SharedState& shared, FlowRegistry& registry) {
  FlowRecord record;
  record.flow_id = shared.next_flow_id.fetch_add(1, std::memory_order_relaxed);
  record.start_wall = std::chrono::system_clock::now();
  record.start = steady_clock::now();
  if (const auto peer = peer_endpoint(client.native_handle())) record.client = *peer;
  if (const auto local = local_endpoint(client.native_handle())) record.server = *local;

  FlowControl control(client.get_executor());
  FlowRegistration registration(registry, control);
  tcp::socket upstream(client.get_executor());
  try {
    auto result = co_await (flow_steps(client, upstream, mode, shared, record, control) ||
                            watchdog(control, shared.config.idle_timeout));
    if (result.index() == 1) {
      const bool idle = std::get<1>(result) == WatchdogEnd::idle;
      record.set_reason(idle ? EndReason::idle_timeout : EndReason::shutdown);
      record.end_by = idle ? EndBy::timeout : EndBy::shutdown;
      record.end_error = idle ? "no data for " + std::to_string(shared.config.idle_timeout.count()) + " s"
                              : "gateway shutting down";
    }
  } catch (const std::exception& e) {
    record.set_reason(EndReason::internal_error);
    record.end_by = EndBy::error;
    record.end_error = e.what();
  }
  close_socket(client);
  close_socket(upstream);
  emit(shared, record);
}

}  // namespace tlsgate

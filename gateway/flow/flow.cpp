#include "gateway/flow/flow.hpp"

#include <cerrno>
#include <cstring>

#include "gateway/capture/flow_capture.hpp"
#include "gateway/flow/control.hpp"
#include "gateway/flow/http_tap.hpp"
#include "gateway/flow/original_dst.hpp"
#include "gateway/flow/record.hpp"
#include "gateway/flow/steps.hpp"
#include "gateway/flow/tls_port.hpp"
#include "gateway/shared_state.hpp"

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

// A plain port: only the addresses decide; "intercept" on an HTTP port means observe.
awaitable<FlowOutcome> plain_port_flow(FlowContext& flow) {
  const Config& config = flow.shared.config;
  FlowRecord& record = flow.record;
  record.proto = config.is_http_port(record.server.port) ? "http" : "tcp";
  FlowFacts facts;
  facts.client = record.client.ip;
  facts.server = record.server;
  facts.http_port = config.is_http_port(record.server.port);
  const Verdict verdict = decide(flow, facts);
  if (verdict.next != Next::observe) {
    FlowOutcome outcome = co_await follow(flow, verdict, 0);
    co_return outcome;
  }
  const auto tap = HttpTap::for_cleartext(flow.shared, record);
  const auto capture = capture::FlowCapture::for_plain_http(flow.shared, record);
  capture::TeeTap taps(tap.get(), capture.get());
  const FlowAction action = tap ? FlowAction::intercept : FlowAction::tunnel;
  FlowOutcome outcome = co_await tunnel(flow, action, verdict.reason, taps.get());
  if (tap) tap->finish();
  if (capture) capture->finish(outcome.error.has_value(), outcome.end_by == EndBy::client);
  co_return outcome;
}

awaitable<FlowOutcome> flow_steps(FlowContext& flow, RedirectMode mode) {
  const int fd = flow.client.native_handle();
  const auto local = local_endpoint(fd);
  int error = 0;
  const auto original = original_destination(fd, mode, &error);
  // No NAT entry (ENOENT) means nobody redirected this connection to us.
  if (!local || (!original && error != ENOENT))
    co_return refuse_with_reset(flow, FlowAction::reject, EndReason::no_original_destination,
                                local ? std::strerror(error) : "no local address");
  if (original) flow.record.server = *original;
  const auto own = flow.shared.own_addresses.load();
  if (!original || !is_redirected(mode, *original, *local, own ? *own : std::vector<IpAddress>{}))
    co_return refuse_with_reset(flow, FlowAction::reject, EndReason::not_redirected,
                                "connection to the gateway itself: refused (not an open proxy)");
  FlowOutcome outcome;
  if (flow.shared.config.is_tls_port(original->port)) {
    outcome = co_await tls_port_flow(flow);
  } else {
    outcome = co_await plain_port_flow(flow);
  }
  co_return outcome;
}

FlowOutcome watchdog_outcome(const FlowContext& flow, WatchdogEnd end, std::chrono::seconds idle_timeout) {
  // The action decided so far stays; the watchdog only says why it ended.
  const FlowAction action = flow.planned.value_or(FlowAction::tunnel);
  if (end == WatchdogEnd::idle)
    return FlowOutcome{action, EndReason::idle_timeout, EndBy::timeout,
                       "no data for " + std::to_string(idle_timeout.count()) + " s"};
  return FlowOutcome{action, EndReason::shutdown, EndBy::shutdown, "gateway shutting down"};
}

// The flow's contribution to /metrics (daemonops hook: one call per flow, beside its line).
void count(SharedState& shared, const FlowRecord& record) {
  const std::string reason = reason_text(record.outcome.reason);
  metrics::FlowSummary summary;
  summary.action = to_string(record.outcome.action);
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
  FlowContext flow{shared, client, upstream, record, control, shared.policy.load(), std::nullopt};
  try {
    auto result = co_await (flow_steps(flow, mode) || watchdog(control, shared.config.idle_timeout));
    // The one place the outcome is written.
    if (result.index() == 0) {
      record.outcome = std::get<0>(std::move(result));
    } else {
      record.outcome = watchdog_outcome(flow, std::get<1>(result), shared.config.idle_timeout);
    }
  } catch (const std::exception& e) {
    record.outcome = FlowOutcome{flow.planned.value_or(FlowAction::reject), EndReason::internal_error, EndBy::error,
                                 e.what()};
  } catch (...) {
    record.outcome = FlowOutcome{flow.planned.value_or(FlowAction::reject), EndReason::internal_error, EndBy::error,
                                 "unknown exception"};
  }
  close_socket(client);
  close_socket(upstream);
  shared.log.submit_event(flow_json(record, std::chrono::system_clock::now(), steady_clock::now()));
  count(shared, record);
}

}  // namespace tlsgate

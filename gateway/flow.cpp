#include "gateway/flow.hpp"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>

#include "gateway/flow_record.hpp"
#include "gateway/relay/splice_tunnel.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/worker.hpp"

namespace tlsgate {
namespace {

using namespace asio::experimental::awaitable_operators;
using std::chrono::steady_clock;

// Closes with RST so the peer learns at once that the flow failed.
void reset(tcp::socket& s) {
  if (!s.is_open()) return;
  boost::system::error_code ec;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

void close(tcp::socket& s) {
  boost::system::error_code ec;
  if (s.is_open()) s.close(ec);
}

EndReason connect_failure(const boost::system::error_code& ec) {
  if (ec == asio::error::connection_refused) return EndReason::upstream_refused;
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) return EndReason::upstream_unreachable;
  if (ec == asio::error::timed_out) return EndReason::upstream_timeout;
  return EndReason::upstream_error;
}

// Connects to the original destination within connect_timeout. On failure
// fills the record's reason and error and returns false.
awaitable<bool> connect_upstream(tcp::socket& upstream, const Endpoint& destination, FlowRecord& record,
                                 std::chrono::milliseconds timeout) {
  const tcp::endpoint ep = to_asio(destination);
  asio::steady_timer timer(upstream.get_executor());
  timer.expires_after(timeout);
  auto result = co_await (upstream.async_connect(ep, use_tuple) || timer.async_wait(use_tuple));
  if (result.index() == 1) {
    record.set_reason(EndReason::upstream_timeout);
    record.end_error = "no answer from upstream within " + std::to_string(timeout.count()) + " ms";
    co_return false;
  }
  const auto [ec] = std::get<0>(result);
  if (!ec) co_return true;
  record.set_reason(connect_failure(ec));
  record.end_error = ec.message();
  co_return false;
}

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

awaitable<void> tunnel(tcp::socket& client, tcp::socket& upstream, FlowRecord& record, FlowControl& control) {
  const RelayOutcome out = co_await splice_tunnel(client, upstream, record, control);
  record.end_by = out.first_end;
  record.end_error = out.error;
  if (out.reset) {
    record.set_reason(EndReason::reset);
    reset(client);
    reset(upstream);
  }
}

std::string_view plain_proto(const Config& config, std::uint16_t port) {
  return config.is_http_port(port) ? "http" : "tcp";
}

awaitable<void> flow_steps(tcp::socket& client, tcp::socket& upstream, RedirectMode mode, Worker& worker,
                           FlowRecord& record, FlowControl& control) {
  const SharedState& shared = worker.shared();
  const Config& config = shared.config;
  const int fd = client.native_handle();

  const auto local = local_endpoint(fd);
  std::string error;
  const auto original = original_destination(fd, mode, &error);
  if (!local || !original) {
    record.action = FlowAction::reject;
    record.set_reason(EndReason::no_original_destination);
    record.end_by = EndBy::error;
    record.end_error = error.empty() ? "no local address" : error;
    reset(client);
    co_return;
  }
  record.server = *original;
  const auto own = shared.own_addresses.load();
  if (!is_redirected(*original, *local, own ? *own : std::vector<IpAddress>{})) {
    record.action = FlowAction::reject;
    record.set_reason(EndReason::not_redirected);
    record.end_by = EndBy::error;
    record.end_error = "connection to the gateway itself: refused (not an open proxy)";
    reset(client);
    co_return;
  }

  record.proto = plain_proto(config, original->port);
  record.action = FlowAction::tunnel;
  if (!co_await connect_upstream(upstream, *original, record, config.connect_timeout)) {
    record.end_by = EndBy::error;
    reset(client);
    co_return;
  }
  control.touch();
  record.set_reason(EndReason::closed);
  co_await tunnel(client, upstream, record, control);
}

void emit(SharedState& shared, const FlowRecord& record) {
  const auto j = flow_json(record, std::chrono::system_clock::now(), steady_clock::now());
  shared.log.submit(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace

awaitable<void> run_flow(tcp::socket client, RedirectMode mode, Worker& worker) {
  SharedState& shared = worker.shared();
  FlowRecord record;
  record.flow_id = shared.next_flow_id.fetch_add(1, std::memory_order_relaxed);
  record.start_wall = std::chrono::system_clock::now();
  record.start = steady_clock::now();
  if (const auto peer = peer_endpoint(client.native_handle())) record.client = *peer;
  if (const auto local = local_endpoint(client.native_handle())) record.server = *local;

  FlowControl control(client.get_executor());
  FlowRegistration registration(worker, control);
  tcp::socket upstream(client.get_executor());
  try {
    auto result = co_await (flow_steps(client, upstream, mode, worker, record, control) ||
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
  close(client);
  close(upstream);
  emit(shared, record);
}

}  // namespace tlsgate

#include "gateway/daemon/worker.hpp"

#include <malloc.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cstdio>

#include "gateway/daemon/listener.hpp"
#include "gateway/diag.hpp"
#include "gateway/flow/flow.hpp"
#include "gateway/flow/original_dst.hpp"
#include "gateway/log/events/limit_event.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {
namespace {

constexpr auto housekeeping_interval = std::chrono::seconds(1);
constexpr auto limit_summary_interval = std::chrono::seconds(1);
constexpr auto accept_error_report_interval = std::chrono::seconds(5);
// Return memory to the system once this many flows have ended since the peak
// (or all of them): after a flood, RSS should come back near idle.
constexpr std::size_t trim_after_flows = 64;

// Refuses a connection at once: SO_LINGER 0 makes close() send a RST.
void reset_connection(tcp::socket& socket) {
  const linger lin{1, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
  boost::system::error_code ec;
  socket.close(ec);
}

}  // namespace

Worker::Worker(SharedState& shared) : shared_(shared) {}

Worker::~Worker() {
  stop();
  join();
}

void Worker::open_listeners() {
  for (const auto& cfg : shared_.config.listeners) acceptors_.emplace_back(open_acceptor(io_, cfg), cfg);
}

void Worker::start() {
  for (auto& [acceptor, cfg] : acceptors_) asio::co_spawn(io_, accept_loop(*acceptor, cfg), asio::detached);
  asio::co_spawn(io_, housekeeping(), asio::detached);
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

void Worker::stop_accepting() {
  asio::post(io_, [this] {
    for (auto& [acceptor, cfg] : acceptors_) {
      boost::system::error_code ec;
      acceptor->close(ec);
    }
  });
}

void Worker::terminate_flows() {
  asio::post(io_, [this] { flows_.terminate_all(); });
}

void Worker::stop() { io_.stop(); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

awaitable<void> Worker::tracked_flow(tcp::socket socket, RedirectMode mode, std::optional<IpAddress> client) {
  peak_since_trim_ = std::max(peak_since_trim_, active_.fetch_add(1) + 1);
  co_await run_flow(std::move(socket), mode, original_destination, shared_, flows_);
  active_.fetch_sub(1);
  if (client) shared_.limits.release(*client);
}

// Admits the connection under max_flows / max_flows_per_client, or resets it.
// A refused connection is not a flow: no flow line; refusals are summarised.
bool Worker::admit(tcp::socket& socket, std::optional<IpAddress>& client) {
  const auto peer = peer_endpoint(socket.native_handle());
  if (!peer) return true;  // already gone: the flow records how it ended
  if (shared_.limits.try_admit(peer->ip) != FlowLimits::Verdict::admitted) {
    reset_connection(socket);
    return false;
  }
  client = peer->ip;
  return true;
}

void Worker::report_accept_error(std::uint16_t port, const boost::system::error_code& ec) {
  ++accept_errors_;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_report_ < accept_error_report_interval) return;
  last_accept_report_ = now;
  diag::warning("accept on port %u: %s (%llu accept errors so far); backing off 100 ms", port, ec.message().c_str(),
                static_cast<unsigned long long>(accept_errors_));
}

awaitable<void> Worker::accept_loop(tcp::acceptor& acceptor, ListenerConfig cfg) {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or memory: wait for flows to end rather than spin.
      report_accept_error(cfg.port, ec);
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    try {
      std::optional<IpAddress> client;
      if (!admit(socket, client)) continue;
      asio::co_spawn(io_, tracked_flow(std::move(socket), cfg.mode, client), asio::detached);
    } catch (const std::exception& e) {
      // A bug or an allocation failure while admitting one connection: it is lost
      // (never spawned, so no flow line), the loop goes on serving everyone else.
      static diag::RateLimiter limiter(std::chrono::seconds(10));
      limiter.log(diag::Level::warning, "accept", "accept on port %u: %s", cfg.port, e.what());
    }
  }
}

// Once a second: the refusal summary (one "limit" line per second across all
// workers) and giving freed memory back after a burst of flows has ended.
awaitable<void> Worker::housekeeping() {
  asio::steady_timer timer(io_);
  for (;;) {
    timer.expires_after(housekeeping_interval);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
    if (auto refusals = shared_.limits.take_refusals_if_due(std::chrono::steady_clock::now(), limit_summary_interval))
      shared_.log.submit_event(log::limit_json(std::move(*refusals), std::chrono::system_clock::now()));
    const std::size_t now_active = active_.load();
    if (peak_since_trim_ > now_active && (now_active == 0 || peak_since_trim_ - now_active >= trim_after_flows)) {
      ::malloc_trim(0);  // glibc keeps freed arenas otherwise; a flood's RSS would stay
      peak_since_trim_ = now_active;
    }
  }
}

}  // namespace tlsgate

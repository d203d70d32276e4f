#include "gateway/daemon/worker.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>

#include "gateway/daemon/listener.hpp"
#include "gateway/flow/flow.hpp"
#include "gateway/shared_state.hpp"

namespace tlsgate {

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

awaitable<void> Worker::tracked_flow(tcp::socket socket, RedirectMode mode) {
  active_.fetch_add(1);
  co_await run_flow(std::move(socket), mode, shared_, flows_);
  active_.fetch_sub(1);
}

awaitable<void> Worker::accept_loop(tcp::acceptor& acceptor, ListenerConfig cfg) {
  asio::steady_timer backoff(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or memory: wait for flows to end rather than spin.
      std::fprintf(stderr, "tlsgate: accept on port %u: %s; retrying in 100 ms\n", cfg.port, ec.message().c_str());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    asio::co_spawn(io_, tracked_flow(std::move(socket), cfg.mode), asio::detached);
  }
}

}  // namespace tlsgate

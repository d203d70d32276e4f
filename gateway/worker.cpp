#include "gateway/worker.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <stdexcept>

#include "gateway/listener.hpp"
#include "gateway/shared_state.hpp"

namespace tlsgate {

Worker::Worker(SharedState& shared, unsigned index) : shared_(shared), index_(index) {}

Worker::~Worker() {
  stop();
  join();
}

void Worker::open_listeners() {
  for (const auto& cfg : shared_.config.listeners) acceptors_.emplace_back(open_acceptor(io_, cfg), cfg);
}

void Worker::start() {
  for (auto& [acceptor, cfg] : acceptors_)
    asio::co_spawn(io_, accept_loop(*this, *acceptor, cfg), asio::detached);
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
  asio::post(io_, [this] {
    terminating_ = true;
    for (FlowControl* f : flows_) {
      f->terminating = true;
      f->timer.cancel();
    }
  });
}

void Worker::stop() { io_.stop(); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::add(FlowControl* flow) {
  flows_.insert(flow);
  active_.fetch_add(1);
  if (terminating_) flow->terminating = true;
}

void Worker::remove(FlowControl* flow) {
  flows_.erase(flow);
  active_.fetch_sub(1);
}

}  // namespace tlsgate

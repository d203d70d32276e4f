#pragma once
// A test server on a loopback address: an accept thread and one thread per
// connection running `handler` on the blocking socket. Sockets carry receive
// and send timeouts, so a handler waiting on a peer that never comes ends.
// The destructor shuts every socket down and joins every thread.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gateway/ip_address.hpp"

namespace tlsgate::testing {

// How long a blocking test socket waits for its peer before giving up.
constexpr std::chrono::seconds socket_timeout{10};

// SO_RCVTIMEO / SO_SNDTIMEO of `timeout` on a blocking socket.
void set_socket_timeouts(int fd, std::chrono::seconds timeout = socket_timeout);

// A file descriptor closed with its owner.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A blocking TCP connection to `to`, with socket timeouts; -1 inside on failure.
UniqueFd connect_tcp(const Endpoint& to);

// A loopback endpoint where nothing listens: the port was bound, then released.
Endpoint closed_port(const std::string& ip);

class LoopbackServer {
 public:
  // The handler owns nothing: the server closes the socket after it returns.
  using Handler = std::function<void(int fd)>;
  LoopbackServer(const std::string& ip, Handler handler);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }
  int connections() const { return connections_.load(); }

 private:
  void accept_loop();

  Handler handler_;
  Endpoint endpoint_;
  int listen_fd_ = -1;
  std::atomic<int> connections_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<int> open_fds_;  // under mutex_: shut down by the destructor
  std::vector<std::thread> threads_;  // under mutex_
  std::thread acceptor_;
};

// Handlers: echo every byte until the peer's EOF; or close at once.
void echo(int fd);
void close_at_once(int fd);

}  // namespace tlsgate::testing

#include "tests/support/loopback_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace tlsgate::testing {
namespace {

sockaddr_in ipv4_address(const std::string& ip, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &sin.sin_addr) != 1) throw std::invalid_argument("not an IPv4 address: " + ip);
  return sin;
}

// A socket bound to ip:0 (the kernel picks the port), and its endpoint.
int bind_any_port(const std::string& ip, Endpoint* bound) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in sin = ipv4_address(ip, 0);
  socklen_t len = sizeof sin;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind " + ip);
  }
  *bound = Endpoint{*IpAddress::parse(ip), ntohs(sin.sin_port)};
  return fd;
}

}  // namespace

void set_socket_timeouts(int fd, std::chrono::seconds timeout) {
  const timeval tv{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd connect_tcp(const Endpoint& to) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fd;
  set_socket_timeouts(fd.get());
  const sockaddr_in sin = ipv4_address(to.ip.to_string(), to.port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sin), sizeof sin) != 0) return UniqueFd();
  return fd;
}

Endpoint closed_port(const std::string& ip) {
  Endpoint bound;
  ::close(bind_any_port(ip, &bound));
  return bound;
}

LoopbackServer::LoopbackServer(const std::string& ip, Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = bind_any_port(ip, &endpoint_);
  if (::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("listen() failed");
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

LoopbackServer::~LoopbackServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    const std::lock_guard lock(mutex_);
    for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes the handlers
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void LoopbackServer::accept_loop() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (!stopping_ && (errno == EINTR || errno == ECONNABORTED)) continue;
      return;
    }
    set_socket_timeouts(fd);
    ++connections_;
    const std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] {
      handler_(fd);
      const std::lock_guard inner(mutex_);
      open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
      ::close(fd);
    });
  }
}

void echo(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    if (::send(fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) return;
  }
}

void close_at_once(int) {}

}  // namespace tlsgate::testing

#include "netfilter/nfqueue_relay.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <thread>

#include "gateway/diag.hpp"

namespace tlsgate::netfilter {
namespace {

constexpr std::size_t id_bytes = 4;
constexpr std::size_t max_message_bytes = id_bytes + 65535;  // an IPv4/IPv6 packet
constexpr int relay_fd = 3;                                  // where the relay finds its socket
constexpr int ready_wait_ms = 5000;
constexpr auto reap_wait = std::chrono::seconds(2);

// Verdicts from the daemon: each message an id and one byte.
bool forward_verdicts(NfQueue& queue, int fd) {
  std::uint8_t msg[id_bytes + 1];
  for (;;) {
    const ssize_t n = ::recv(fd, msg, sizeof msg, MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) return false;  // the daemon is gone
    if (n != static_cast<ssize_t>(sizeof msg)) continue;
    std::uint32_t id = 0;
    std::memcpy(&id, msg, id_bytes);
    queue.verdict(id, msg[id_bytes] != 0);
  }
}

}  // namespace

int relay_packets(NfQueue& queue, int fd) {
  if (::send(fd, "R", 1, MSG_NOSIGNAL) != 1) return 1;
  std::vector<std::uint8_t> msg(max_message_bytes);
  const NfQueue::Handler forward = [fd, &msg](std::uint32_t id, std::span<const std::uint8_t> packet) {
    if (packet.size() + id_bytes > msg.size()) return;  // cannot be an IP packet; the kernel times it out
    std::memcpy(msg.data(), &id, id_bytes);
    std::memcpy(msg.data() + id_bytes, packet.data(), packet.size());
    // Blocking: a daemon that falls behind makes the kernel queue fill (then fail-open applies).
    [[maybe_unused]] const ssize_t n = ::send(fd, msg.data(), id_bytes + packet.size(), MSG_NOSIGNAL);
  };
  for (;;) {
    pollfd fds[2] = {{queue.fd(), POLLIN, 0}, {fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && !forward_verdicts(queue, fd)) return 0;
    if ((fds[0].revents & POLLIN) && !queue.receive(forward)) {
      diag::error("nfqueue relay: reading the queue: %s", std::strerror(errno));
      return 1;
    }
  }
}

RelayedQueue::RelayedQueue(std::uint16_t number, bool fail_open, const std::optional<std::string>& user)
    : buffer_(max_message_bytes) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    throw std::runtime_error(std::string("nfqueue relay: socketpair: ") + std::strerror(errno));
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args{"tlsgate", "nfqueue-relay", "--fd", std::to_string(relay_fd), "--queue",
                                std::to_string(number)};
  if (fail_open) args.emplace_back("--fail-open");
  if (user) {
    args.emplace_back("--user");
    args.push_back(*user);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) {
    const int err = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    throw std::runtime_error(std::string("nfqueue relay: fork: ") + std::strerror(err));
  }
  if (pid_ == 0) {
    // dup2 clears close-on-exec on fd 3; everything else above stderr is closed.
    if (::dup2(pair[1], relay_fd) < 0) ::_exit(127);
    ::syscall(SYS_close_range, relay_fd + 1, ~0U, 0);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(pair[1]);
  fd_ = pair[0];
  pollfd p{fd_, POLLIN, 0};
  char ready = 0;
  if (::poll(&p, 1, ready_wait_ms) != 1 || ::recv(fd_, &ready, 1, 0) != 1 || ready != 'R') {
    ::close(fd_);
    fd_ = -1;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("the nfqueue relay could not bind NFQUEUE " + std::to_string(number) +
                             " (its error is above)");
  }
}

RelayedQueue::~RelayedQueue() {
  if (fd_ >= 0) ::close(fd_);  // the relay sees EOF after the verdicts already sent, and exits
  if (pid_ <= 0) return;
  const auto deadline = std::chrono::steady_clock::now() + reap_wait;
  while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool RelayedQueue::receive(const NfQueue::Handler& on_packet) {
  std::exception_ptr first_error;
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      return false;
    }
    if (n == 0) {
      errno = EPIPE;
      return false;
    }
    if (static_cast<std::size_t>(n) < id_bytes) continue;
    std::uint32_t id = 0;
    std::memcpy(&id, buffer_.data(), id_bytes);
    try {
      on_packet(id, std::span<const std::uint8_t>(buffer_.data() + id_bytes, static_cast<std::size_t>(n) - id_bytes));
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return true;
}

bool RelayedQueue::verdict(std::uint32_t packet_id, bool accept) {
  std::uint8_t msg[id_bytes + 1];
  std::memcpy(msg, &packet_id, id_bytes);
  msg[id_bytes] = accept ? 1 : 0;
  return ::send(fd_, msg, sizeof msg, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof msg);
}

}  // namespace tlsgate::netfilter

#include "gateway/capture/pcap_over_ip.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "gateway/capture/pcap_format.hpp"
#include "gateway/diag.hpp"

namespace tlsgate::capture {
namespace {

constexpr std::size_t max_readers = 64;
constexpr int listen_backlog = 16;

int bind_listener(const Endpoint& ep, std::uint16_t& bound_port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (ep.ip.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(ep.port);
    std::memcpy(&a->sin_addr, ep.ip.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(ep.port);
    std::memcpy(&a->sin6_addr, ep.ip.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, listen_backlog) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  bound_port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                                 : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return fd;
}

}  // namespace

PcapOverIp::PcapOverIp(const Endpoint& listen, std::size_t reader_buffer_bytes) : max_pending_(reader_buffer_bytes) {
  listen_fd_ = bind_listener(listen, port_);
  if (listen_fd_ < 0)
    throw std::runtime_error("pcap_over_ip_listen [" + listen.ip.to_string() + "]:" + std::to_string(listen.port) +
                             ": " + std::strerror(errno));
}

PcapOverIp::~PcapOverIp() {
  for (auto& r : readers_) ::close(r.fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void PcapOverIp::broadcast(std::span<const std::uint8_t> records) {
  for (std::size_t i = readers_.size(); i-- > 0;) {
    Reader& r = readers_[i];
    if (r.pending.size() - r.sent + records.size() > max_pending_) {
      drop(i, "fell behind");
      continue;
    }
    if (r.sent > 0 && r.sent * 2 >= r.pending.size()) {  // reclaim what was sent
      r.pending.erase(r.pending.begin(), r.pending.begin() + static_cast<std::ptrdiff_t>(r.sent));
      r.sent = 0;
    }
    r.pending.insert(r.pending.end(), records.begin(), records.end());
    if (!flush(r)) drop(i, nullptr);
  }
}

void PcapOverIp::add_pollfds(std::vector<pollfd>& fds) const {
  fds.push_back({listen_fd_, POLLIN, 0});
  for (const auto& r : readers_)
    fds.push_back({r.fd, static_cast<short>(POLLIN | (r.sent < r.pending.size() ? POLLOUT : 0)), 0});
}

void PcapOverIp::on_poll(const std::vector<pollfd>& fds, std::size_t first) {
  // Readers first (their indexes match add_pollfds), newest last, so drops keep order.
  const std::size_t count = std::min(readers_.size(), fds.size() - first - 1);
  for (std::size_t i = count; i-- > 0;) {
    const pollfd& p = fds[first + 1 + i];
    bool gone = (p.revents & (POLLERR | POLLNVAL)) != 0;
    if (!gone && (p.revents & (POLLIN | POLLHUP))) {
      // Readers have nothing to say; whatever they send is discarded. EOF: gone.
      std::uint8_t sink[512];
      const ssize_t n = ::recv(readers_[i].fd, sink, sizeof sink, MSG_DONTWAIT);
      gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
    }
    if (!gone && (p.revents & POLLOUT)) gone = !flush(readers_[i]);
    if (gone) drop(i, nullptr);
  }
  if (fds[first].revents & POLLIN) accept_readers();
}

void PcapOverIp::accept_readers() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: all accepted; other errors: try at the next wake-up
    if (readers_.size() >= max_readers) {
      ::close(fd);
      dropped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    Reader r;
    r.fd = fd;
    r.pending = pcap_header();
    if (flush(r)) {
      readers_.push_back(std::move(r));
    } else {
      ::close(fd);
    }
  }
}

bool PcapOverIp::flush(Reader& r) {
  while (r.sent < r.pending.size()) {
    const ssize_t n = ::send(r.fd, r.pending.data() + r.sent, r.pending.size() - r.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    r.sent += static_cast<std::size_t>(n);
  }
  r.pending.clear();
  r.sent = 0;
  return true;
}

void PcapOverIp::drop(std::size_t index, const char* why) {
  if (why) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    diag::warning("capture: PCAP-over-IP reader dropped: %s", why);
  }
  ::close(readers_[index].fd);
  readers_.erase(readers_.begin() + static_cast<std::ptrdiff_t>(index));
}

}  // namespace tlsgate::capture

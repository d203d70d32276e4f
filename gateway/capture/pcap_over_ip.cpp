#include "gateway/capture/pcap_over_ip.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "gateway/capture/pcap_format.hpp"
#include "gateway/diag.hpp"

namespace tlsgate::capture {
namespace {

constexpr std::size_t max_readers = 64;
// Refused readers can come as fast as anyone can connect: one line per kind every 10 s.
diag::RateLimiter refusals(std::chrono::seconds(10));
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

// Created 0600 from the start (umask around bind), not chmod-ed after: no window for others.
int bind_unix(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());  // stale, from a crash
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (bound != 0 || ::listen(fd, listen_backlog) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// Compares in time independent of where the first difference is.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

PcapOverIp::PcapOverIp(const Endpoint& listen, std::string token, std::size_t reader_buffer_bytes)
    : token_(std::move(token)), max_pending_(reader_buffer_bytes) {
  listen_fd_ = bind_listener(listen, port_);
  if (listen_fd_ < 0)
    throw std::runtime_error("pcap_over_ip_listen [" + listen.ip.to_string() + "]:" + std::to_string(listen.port) +
                             ": " + std::strerror(errno));
}

PcapOverIp::PcapOverIp(const std::string& path, std::size_t reader_buffer_bytes)
    : unix_path_(path), owner_uid_(::geteuid()), max_pending_(reader_buffer_bytes) {
  listen_fd_ = bind_unix(path);
  if (listen_fd_ < 0) throw std::runtime_error("pcap_over_ip_socket " + path + ": " + std::strerror(errno));
}

PcapOverIp::~PcapOverIp() {
  for (auto& r : readers_) ::close(r.fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void PcapOverIp::broadcast(std::span<const std::uint8_t> records) {
  for (std::size_t i = readers_.size(); i-- > 0;) {
    Reader& r = readers_[i];
    if (!r.admitted) continue;
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
    if (!gone && !readers_[i].admitted) {
      if (p.revents & (POLLIN | POLLHUP)) gone = !read_token(readers_[i]);
      if (gone) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        ::close(readers_[i].fd);
        readers_.erase(readers_.begin() + static_cast<std::ptrdiff_t>(i));
      }
      continue;
    }
    if (!gone && (p.revents & (POLLIN | POLLHUP))) {
      // Readers have nothing to say; whatever they send is discarded. EOF: gone.
      std::uint8_t sink[512];
      const ssize_t n = ::recv(readers_[i].fd, sink, sizeof sink, MSG_DONTWAIT);
      gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
    }
    if (!gone && (p.revents & POLLOUT)) gone = !flush(readers_[i]);
    if (gone) drop(i, nullptr);
  }
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = readers_.size(); i-- > 0;) {
    if (readers_[i].admitted || now < readers_[i].admit_by) continue;
    refused_.fetch_add(1, std::memory_order_relaxed);
    refusals.log(diag::Level::warning, "no token", "capture: PCAP-over-IP reader refused: no token within %llds",
                 static_cast<long long>(pcap_reader_admit_timeout.count()));
    ::close(readers_[i].fd);
    readers_.erase(readers_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (fds[first].revents & POLLIN) accept_readers();
}

bool PcapOverIp::peer_allowed(int fd) const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  if (cred.uid == owner_uid_ || cred.uid == 0) return true;
  refusals.log(diag::Level::warning, "uid",
               "capture: PCAP-over-IP reader refused: uid %u is not the socket's owner (%u) or root",
               static_cast<unsigned>(cred.uid), static_cast<unsigned>(owner_uid_));
  return false;
}

// The token and a newline, at most token + 2 bytes ("\r\n" tolerated); anything else is refused.
bool PcapOverIp::read_token(Reader& r) {
  char buf[256];
  const std::size_t room = token_->size() + 2 - r.hello.size();
  const ssize_t n = ::recv(r.fd, buf, std::min(room, sizeof buf), MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (n == 0) return false;
  r.hello.append(buf, static_cast<std::size_t>(n));
  const auto newline = r.hello.find('\n');
  if (newline == std::string::npos) {
    if (r.hello.size() < token_->size() + 2) return true;  // need more
    refusals.log(diag::Level::warning, "no line", "capture: PCAP-over-IP reader refused: no token line");
    return false;
  }
  std::string line = r.hello.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (newline + 1 != r.hello.size() || !same_secret(line, *token_)) {
    refusals.log(diag::Level::warning, "wrong token", "capture: PCAP-over-IP reader refused: wrong token");
    return false;
  }
  r.hello.clear();
  return admit(r);
}

bool PcapOverIp::admit(Reader& r) {
  r.admitted = true;
  r.pending = pcap_header();
  return flush(r);
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
    if (!unix_path_.empty() && !peer_allowed(fd)) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      ::close(fd);
      continue;
    }
    if (!unix_path_.empty()) {
      // A unix socket buffers only wmem_default (~200 KiB): ask for the reader's share, so a
      // reader that keeps up on average rides out bursts (the kernel caps it at wmem_max).
      const int want = static_cast<int>(std::min<std::size_t>(max_pending_, 1u << 30));
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
    }
    bool ok = true;
    if (token_) r.admit_by = std::chrono::steady_clock::now() + pcap_reader_admit_timeout;
    else ok = admit(r);
    if (ok) {
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

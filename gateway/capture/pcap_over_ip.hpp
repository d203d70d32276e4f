#pragma once
// PCAP-over-IP: a listener; each reader that connects and is admitted receives
// a pcap global header, then every packet record captured from then on. It
// carries every client's decrypted traffic, so readers prove who they are:
// on a unix socket (0600) the peer's uid (SO_PEERCRED) must be the socket's
// owner or root; on TCP the reader sends the token and a newline first, within
// admit_timeout. Sockets are non-blocking and each reader has a bounded
// buffer: a reader that falls more than `reader_buffer_bytes` behind (stalled,
// slow) is disconnected, so it never slows the capture or the flows. Only the
// capture writer thread calls it, from its poll() loop.
#include <poll.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/ip_address.hpp"

namespace tlsgate::capture {

// How long a TCP reader has to send its token.
constexpr auto pcap_reader_admit_timeout = std::chrono::seconds(5);

class PcapOverIp {
 public:
  // A TCP listener whose readers must send `token` first. Throws std::runtime_error if
  // `listen` cannot be bound.
  PcapOverIp(const Endpoint& listen, std::string token, std::size_t reader_buffer_bytes);
  // A unix socket at `path`, created 0600 (a stale one is replaced), owned by the calling
  // process's uid; peers with another uid than that one or root are refused. Throws
  // std::runtime_error if it cannot be bound.
  PcapOverIp(const std::string& path, std::size_t reader_buffer_bytes);
  ~PcapOverIp();
  PcapOverIp(const PcapOverIp&) = delete;
  PcapOverIp& operator=(const PcapOverIp&) = delete;

  // Queues whole pcap records for every admitted reader.
  void broadcast(std::span<const std::uint8_t> records);
  // Appends the listener and the readers to `fds` for poll().
  void add_pollfds(std::vector<pollfd>& fds) const;
  // Handles what poll() reported for the entries add_pollfds() appended at `first`;
  // also ends readers whose token did not come in time.
  void on_poll(const std::vector<pollfd>& fds, std::size_t first);

  std::size_t readers() const { return readers_.size(); }
  std::uint64_t readers_dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t readers_refused() const { return refused_.load(std::memory_order_relaxed); }
  std::uint16_t port() const { return port_; }

 private:
  struct Reader {
    int fd = -1;
    bool admitted = false;
    std::string hello;  // what a TCP reader sent before its newline
    std::chrono::steady_clock::time_point admit_by{};
    std::vector<std::uint8_t> pending;
    std::size_t sent = 0;  // bytes of `pending` already sent
  };
  void accept_readers();
  bool admit(Reader& reader);            // starts the stream
  bool read_token(Reader& reader);       // false: refused or gone
  bool peer_allowed(int fd) const;       // unix socket: SO_PEERCRED
  bool flush(Reader& reader);            // false: the reader is gone
  void drop(std::size_t index, const char* why);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string unix_path_;           // set for a unix socket
  std::optional<std::string> token_;  // set for TCP
  uid_t owner_uid_ = 0;
  std::size_t max_pending_;
  std::vector<Reader> readers_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace tlsgate::capture

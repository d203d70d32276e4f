#pragma once
// PCAP-over-IP: a TCP listener; each client that connects receives a pcap
// global header, then every packet record captured from then on. Sockets are
// non-blocking and each reader has a bounded buffer: a reader that falls more
// than `reader_buffer_bytes` behind (stalled, slow) is disconnected, so it
// never slows the capture or the flows. Only the capture writer thread calls
// it, from its poll() loop.
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "gateway/ip_address.hpp"

namespace tlsgate::capture {

class PcapOverIp {
 public:
  // Throws std::runtime_error if `listen` cannot be bound.
  PcapOverIp(const Endpoint& listen, std::size_t reader_buffer_bytes);
  ~PcapOverIp();
  PcapOverIp(const PcapOverIp&) = delete;
  PcapOverIp& operator=(const PcapOverIp&) = delete;

  // Queues whole pcap records for every connected reader.
  void broadcast(std::span<const std::uint8_t> records);
  // Appends the listener and the readers to `fds` for poll().
  void add_pollfds(std::vector<pollfd>& fds) const;
  // Handles what poll() reported for the entries add_pollfds() appended at `first`.
  void on_poll(const std::vector<pollfd>& fds, std::size_t first);

  std::size_t readers() const { return readers_.size(); }
  std::uint64_t readers_dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint16_t port() const { return port_; }

 private:
  struct Reader {
    int fd = -1;
    std::vector<std::uint8_t> pending;
    std::size_t sent = 0;  // bytes of `pending` already sent
  };
  void accept_readers();
  bool flush(Reader& reader);  // false: the reader is gone
  void drop(std::size_t index, const char* why);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::size_t max_pending_;
  std::vector<Reader> readers_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace tlsgate::capture

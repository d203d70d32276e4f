#pragma once
// One NFQUEUE, bound over a libmnl netlink socket (libnetfilter_queue's nfq_nlmsg_* helpers):
// packets are copied whole to user space, and each packet id must get exactly one verdict.
// Packets still queued when the queue is unbound or the socket closes are dropped by the kernel.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

struct mnl_socket;

namespace tlsgate::netfilter {

class NfQueue {
 public:
  // Binds queue `number` in copy-packet mode. fail_open: the kernel accepts packets while the
  // queue is full instead of dropping them (NFQA_CFG_F_FAIL_OPEN). Throws std::runtime_error
  // with the reason (no CAP_NET_ADMIN, queue already bound by another process, ...).
  NfQueue(std::uint16_t number, bool fail_open);
  ~NfQueue();
  NfQueue(const NfQueue&) = delete;
  NfQueue& operator=(const NfQueue&) = delete;

  // The netlink socket, for poll(2).
  int fd() const;

  using Handler = std::function<void(std::uint32_t packet_id, std::span<const std::uint8_t> packet)>;
  // Reads one batch of queued packets (blocks if none) and calls `on_packet` for each; `packet`
  // (the IP packet) is valid only during the call. Returns false on a socket error other than
  // EINTR / ENOBUFS (then errno says which). If `on_packet` throws, the rest of the batch is
  // still handed over, then the first exception is rethrown (that packet's verdict is the
  // handler's business).
  bool receive(const Handler& on_packet);

  // Issues a verdict (accept or drop). Returns false if the kernel refused the message.
  bool verdict(std::uint32_t packet_id, bool accept);

 private:
  void bind(bool fail_open);

  mnl_socket* socket_ = nullptr;
  std::uint16_t number_;
  std::uint32_t port_id_ = 0;
  std::uint32_t seq_ = 1;
  std::vector<char> buffer_;
};

}  // namespace tlsgate::netfilter

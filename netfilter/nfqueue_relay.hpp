#pragma once
// The QUIC guard's NFQUEUE in a process of its own. NFQUEUE verdicts need
// CAP_NET_ADMIN for the whole run; the process that parses TLS, HTTP and QUIC
// from the network must not hold it (a parser bug would own the router's
// firewall). So `tlsgate nfqueue-relay` (started by the daemon before it drops
// its privileges) binds the queue, keeps CAP_NET_ADMIN and nothing else, and
// only relays: packets to the daemon, verdicts back. It parses nothing but the
// kernel's netlink messages. The daemon reads packets from RelayedQueue as it
// would from an NfQueue, with no capability left.
//
// Wire format over a SOCK_SEQPACKET socketpair, one message each:
//   relay -> daemon: "R" once the queue is bound; then packet id (4 bytes, host order) + IP packet
//   daemon -> relay: packet id (4 bytes) + 1 byte verdict (1 accept, 0 drop)
// Either side closing ends the other: the relay exits, the kernel lets queued packets
// pass (rules.sh --queue-bypass) or drops them.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netfilter/nfqueue.hpp"

namespace tlsgate::netfilter {

// In the relay process: relays between `queue` and the daemon's socket `fd` until the
// daemon closes it. Sends the ready message first. Returns the process exit code.
int relay_packets(NfQueue& queue, int fd);

// The daemon's side: the same calls as NfQueue.
class RelayedQueue {
 public:
  // Starts `/proc/self/exe nfqueue-relay` for queue `number` and waits (5 s at most) until it
  // has bound the queue. `user`: the relay switches to it too (when started as root).
  // Throws std::runtime_error when the relay cannot start or bind (it says why on stderr).
  RelayedQueue(std::uint16_t number, bool fail_open, const std::optional<std::string>& user);
  ~RelayedQueue();  // closes the socket, then reaps the relay
  RelayedQueue(const RelayedQueue&) = delete;
  RelayedQueue& operator=(const RelayedQueue&) = delete;

  int fd() const { return fd_; }
  pid_t relay_pid() const { return pid_; }

  // Reads every packet the relay has sent (does not block) and calls `on_packet` for each.
  // Returns false when the relay is gone (errno EPIPE) or the socket failed. Exceptions from
  // `on_packet`: as NfQueue::receive.
  bool receive(const NfQueue::Handler& on_packet);
  // Sends a verdict to the relay. False if it could not be sent.
  bool verdict(std::uint32_t packet_id, bool accept);

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace tlsgate::netfilter

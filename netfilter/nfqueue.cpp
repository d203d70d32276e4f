#include "netfilter/nfqueue.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <sys/socket.h>

#include <libnetfilter_queue/libnetfilter_queue.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace tlsgate::netfilter {
namespace {

constexpr std::size_t copy_range = 0xffff;              // whole packets
constexpr std::size_t buffer_bytes = copy_range + 8192;  // one packet plus netlink headers
constexpr int receive_buffer_bytes = 8 << 20;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("NFQUEUE: " + what + ": " + std::strerror(errno));
}

struct Callback {
  const NfQueue::Handler* handler;
  std::exception_ptr error;  // the first exception a handler let escape
};

int on_message(const nlmsghdr* nlh, void* data) {
  nlattr* attr[NFQA_MAX + 1] = {};
  if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) return MNL_CB_OK;
  const auto* header = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
  std::span<const std::uint8_t> packet;
  if (attr[NFQA_PAYLOAD])
    packet = {static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
              mnl_attr_get_payload_len(attr[NFQA_PAYLOAD])};
  auto* cb = static_cast<Callback*>(data);
  // An exception must not unwind through libmnl's C frames: keep it for receive().
  try {
    (*cb->handler)(ntohl(header->packet_id), packet);
  } catch (...) {
    if (!cb->error) cb->error = std::current_exception();
  }
  return MNL_CB_OK;
}

}  // namespace

NfQueue::NfQueue(std::uint16_t number, bool fail_open) : number_(number), buffer_(buffer_bytes) {
  socket_ = mnl_socket_open(NETLINK_NETFILTER);
  if (!socket_) fail("cannot open the netlink socket");
  try {
    if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) fail("cannot bind the netlink socket");
    port_id_ = mnl_socket_get_portid(socket_);
    // A burst must not make the kernel give up on us; lost deliveries are dropped by it anyway.
    int on = 1;
    mnl_socket_setsockopt(socket_, NETLINK_NO_ENOBUFS, &on, sizeof on);
    int size = receive_buffer_bytes;
    setsockopt(mnl_socket_get_fd(socket_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    bind(fail_open);
  } catch (...) {
    mnl_socket_close(socket_);
    throw;
  }
}

NfQueue::~NfQueue() {
  // Closing the socket unbinds the queue too; the explicit unbind just says so first.
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, number_);
  nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
  mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len);
  mnl_socket_close(socket_);
}

int NfQueue::fd() const { return mnl_socket_get_fd(socket_); }

// Binds the queue and sets its copy mode and flags in one message, then waits for the ack.
// A packet that arrives before the ack is accepted: the guard is not running yet.
void NfQueue::bind(bool fail_open) {
  const std::string what = "cannot bind queue " + std::to_string(number_);
  nlmsghdr* nlh = nfq_nlmsg_put(buffer_.data(), NFQNL_MSG_CONFIG, number_);
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = seq_;
  nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
  nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, copy_range);
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(fail_open ? NFQA_CFG_F_FAIL_OPEN : 0));
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
  if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) fail(what);
  const Handler accept_early = [this](std::uint32_t id, std::span<const std::uint8_t>) { verdict(id, true); };
  Callback cb{&accept_early, nullptr};
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (n < 0) fail(what);
    // seq 0: no sequence check, since early packets carry none; an error message fails.
    const int rc = mnl_cb_run(buffer_.data(), static_cast<std::size_t>(n), 0, port_id_, on_message, &cb);
    if (rc < 0) fail(what);
    if (rc == MNL_CB_STOP) return;  // the ack
  }
}

bool NfQueue::receive(const Handler& on_packet) {
  const ssize_t n = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
  if (n < 0) return errno == EINTR || errno == ENOBUFS;
  Callback cb{&on_packet, nullptr};
  // seq 0: packets are not answers to a request of ours.
  const bool ok = mnl_cb_run(buffer_.data(), static_cast<std::size_t>(n), 0, port_id_, on_message, &cb) >= 0;
  if (cb.error) std::rethrow_exception(cb.error);  // after the whole batch was handed over
  return ok;
}

bool NfQueue::verdict(std::uint32_t packet_id, bool accept) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, number_);
  nfq_nlmsg_verdict_put(nlh, static_cast<int>(packet_id), accept ? NF_ACCEPT : NF_DROP);
  return mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) >= 0;
}

}  // namespace tlsgate::netfilter

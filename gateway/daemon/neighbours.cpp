#include "gateway/daemon/neighbours.hpp"

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "gateway/diag.hpp"

namespace tlsgate {
namespace {

constexpr auto refresh_interval = std::chrono::seconds(5);
constexpr auto miss_check_interval = std::chrono::seconds(1);

using Entries = std::vector<std::pair<IpAddress, policy::MacAddress>>;

struct SocketClose {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

int neighbour_attribute(const nlattr* attr, void* data) {
  auto* table = static_cast<std::array<const nlattr*, NDA_MAX + 1>*>(data);
  const int type = mnl_attr_get_type(attr);
  if (mnl_attr_type_valid(attr, NDA_MAX) >= 0) (*table)[static_cast<std::size_t>(type)] = attr;
  return MNL_CB_OK;
}

int neighbour_message(const nlmsghdr* message, void* data) {
  const auto* nd = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(message));
  if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED)) return MNL_CB_OK;
  std::array<const nlattr*, NDA_MAX + 1> attributes{};
  if (mnl_attr_parse(message, sizeof(ndmsg), neighbour_attribute, &attributes) < 0) return MNL_CB_OK;
  const nlattr* dst = attributes[NDA_DST];
  const nlattr* lladdr = attributes[NDA_LLADDR];
  if (!dst || !lladdr || mnl_attr_get_payload_len(lladdr) != 6) return MNL_CB_OK;
  IpAddress ip;
  const auto length = mnl_attr_get_payload_len(dst);
  if (nd->ndm_family == AF_INET && length == 4) {
    std::array<std::uint8_t, 4> octets;
    std::memcpy(octets.data(), mnl_attr_get_payload(dst), 4);
    ip = IpAddress::v4(octets);
  } else if (nd->ndm_family == AF_INET6 && length == 16) {
    std::array<std::uint8_t, 16> octets;
    std::memcpy(octets.data(), mnl_attr_get_payload(dst), 16);
    ip = IpAddress::v6(octets);
  } else {
    return MNL_CB_OK;
  }
  policy::MacAddress mac;
  std::memcpy(mac.bytes.data(), mnl_attr_get_payload(lladdr), 6);
  static_cast<Entries*>(data)->emplace_back(ip, mac);
  return MNL_CB_OK;
}

}  // namespace

std::optional<policy::NeighbourTable> read_neighbours() {
  std::unique_ptr<mnl_socket, SocketClose> socket(mnl_socket_open(NETLINK_ROUTE));
  if (!socket || mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) return std::nullopt;
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* request = mnl_nlmsg_put_header(buffer.data());
  request->nlmsg_type = RTM_GETNEIGH;
  request->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  const auto sequence = static_cast<unsigned>(std::time(nullptr));
  request->nlmsg_seq = sequence;
  auto* nd = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(request, sizeof(ndmsg)));
  nd->ndm_family = AF_UNSPEC;
  if (mnl_socket_sendto(socket.get(), request, request->nlmsg_len) < 0) return std::nullopt;
  const unsigned port = mnl_socket_get_portid(socket.get());
  Entries entries;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(socket.get(), buffer.data(), buffer.size());
    if (n < 0) return std::nullopt;
    const int result = mnl_cb_run(buffer.data(), static_cast<std::size_t>(n), sequence, port, neighbour_message, &entries);
    if (result < 0) return std::nullopt;
    if (result == MNL_CB_STOP) break;  // NLMSG_DONE: the dump is complete
  }
  return policy::NeighbourTable(std::move(entries));
}

awaitable<void> refresh_neighbours(SharedState& shared) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto last = std::chrono::steady_clock::time_point{};
  bool warned = false;
  for (;;) {
    const bool missed = shared.neighbour_miss.exchange(false, std::memory_order_relaxed);
    const auto policy = shared.policy.load();
    const auto now = std::chrono::steady_clock::now();
    if (policy && policy->uses_macs() && (missed || now - last >= refresh_interval)) {
      last = now;
      if (auto table = read_neighbours()) {
        shared.neighbours.store(std::make_shared<const policy::NeighbourTable>(std::move(*table)));
        warned = false;
      } else if (!warned) {
        diag::warning("cannot read the neighbour table over netlink (%s): client groups by MAC match no MAC",
                      std::strerror(errno));
        warned = true;
      }
    }
    timer.expires_after(miss_check_interval);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
  }
}

}  // namespace tlsgate

#include "gateway/flow/refusal.hpp"

#include <sys/socket.h>

#include <array>
#include <vector>

namespace tlsgate {

void reset_socket(tcp::socket& s) {
  if (!s.is_open()) return;
  boost::system::error_code ec;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

void close_socket(tcp::socket& s) {
  boost::system::error_code ec;
  if (s.is_open()) s.close(ec);
}

FlowEnd refuse_with_reset(FlowContext& flow, std::string why) {
  reset_socket(flow.client);
  return FlowEnd{EndBy::error, std::move(why), std::nullopt};
}

FlowEnd refuse_with_alert(FlowContext& flow, std::size_t hello_bytes, std::uint8_t alert, std::string why) {
  close_socket(flow.upstream);
  const int fd = flow.client.native_handle();
  // Read what was only peeked: closing with unread data would send a reset
  // that can overtake the alert.
  std::vector<std::uint8_t> sink(hello_bytes);
  std::size_t drained = 0;
  while (drained < sink.size()) {
    const ssize_t n = ::recv(fd, sink.data() + drained, sink.size() - drained, MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<std::size_t>(n);
  }
  const std::array<std::uint8_t, 7> record{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alert};  // fatal alert
  [[maybe_unused]] const ssize_t sent = ::send(fd, record.data(), record.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  return FlowEnd{EndBy::error, std::move(why), std::nullopt};
}

}  // namespace tlsgate

#pragma once
// Connecting to a flow's original destination, bounded in time.
#include <chrono>
#include <cstdint>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/log/flow_record.hpp"

namespace tlsgate {

struct ConnectResult {
  bool connected = false;
  EndReason failure = EndReason::upstream_error;  // when !connected
  std::string error;
};

// Connects `upstream` to `destination` within `timeout`. A non-zero `mark`
// (upstream_mark) is set as SO_MARK first, which needs CAP_NET_ADMIN.
awaitable<ConnectResult> connect_upstream(tcp::socket& upstream, const Endpoint& destination,
                                          std::chrono::milliseconds timeout, std::uint32_t mark);

}  // namespace tlsgate

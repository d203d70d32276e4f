#pragma once
// `tlsgate nfqueue-relay` (internal, started by the daemon: netfilter/nfqueue_relay.hpp).
#include <cstdint>
#include <optional>
#include <string>

namespace tlsgate {

struct RelayOptions {
  int fd = 3;                       // the daemon's socket
  std::uint16_t queue = 0;
  bool fail_open = false;
  std::optional<std::string> user;  // switch to it when started as root
};

// Binds the queue, drops every privilege but CAP_NET_ADMIN, relays until the daemon
// closes its socket. Returns the exit code.
int run_nfqueue_relay(const RelayOptions& options);

}  // namespace tlsgate

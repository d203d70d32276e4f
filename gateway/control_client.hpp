#pragma once
// The client side of the daemon's control socket (gateway/daemon/control_socket):
// one request line out, one reply line back.
#include <stdexcept>
#include <string>

namespace tlsgate {

// Nobody answered: no socket, nobody listening, a timeout, a reply cut short.
// what() says which, with a hint for the operator.
struct ControlUnreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Sends `request` (one line, no newline) to the unix socket at `path` and
// returns the reply without its newline; waits at most `timeout_s` for it.
std::string control_exchange(const std::string& path, const std::string& request, int timeout_s = 10);

}  // namespace tlsgate

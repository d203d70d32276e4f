#pragma once
// The client side of the daemon's control socket (gateway/daemon/control_socket):
// one request line out, one reply line back.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace tlsgate {

// Nobody answered: no socket, nobody listening, a timeout, a reply cut short.
// what() says which, with a hint for the operator.
struct ControlUnreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The daemon answered and refused the request: what() is its reason.
struct ControlRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The control socket of the daemon run with the config file `config_path`, or
// `socket` when not empty. Throws ControlUnreachable when the config cannot be
// read or gives the daemon no control socket.
std::string control_socket_path(const std::string& config_path, const std::string& socket);

// Sends `request` (one line, no newline) to the unix socket at `path` and
// returns the reply without its newline; waits at most `timeout_s` for it.
std::string control_exchange(const std::string& path, const std::string& request, int timeout_s = 10);

// One request object out, the reply object back when it says `"ok": true`;
// throws ControlRefused with the daemon's error otherwise, ControlUnreachable
// when no (JSON) reply came.
nlohmann::json control_call(const std::string& path, const nlohmann::json& request, int timeout_s = 10);

}  // namespace tlsgate

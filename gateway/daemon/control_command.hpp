#pragma once
// What every command that talks to the running daemon shares: how it finds the
// control socket (--config / --socket) and how a reply becomes an exit status
// (0 done, 1 the daemon refused, 2 the daemon cannot be reached).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace tlsgate {

struct ControlTarget {
  std::string config = "/etc/tlsgate/tlsgate.json";
  std::string socket;  // overrides the config's control_socket
};

void add_control_target_options(CLI::App* command, ControlTarget& target);

// Sends the request; returns the reply when it says ok. Prints the reason and
// throws CLI::RuntimeError(1) when the daemon refused, (2) when it cannot be reached.
nlohmann::json call_daemon(const ControlTarget& target, const nlohmann::json& request, int timeout_s = 10);

}  // namespace tlsgate

#include "gateway/daemon/control_command.hpp"

#include <cstdio>

#include "gateway/control_client.hpp"

namespace tlsgate {

void add_control_target_options(CLI::App* command, ControlTarget& target) {
  command->add_option("-c,--config", target.config, "the daemon's config file, to find its control_socket")
      ->default_str(target.config);
  command->add_option("--socket", target.socket, "the control socket (instead of reading --config)");
}

nlohmann::json call_daemon(const ControlTarget& target, const nlohmann::json& request, int timeout_s) {
  try {
    return control_call(control_socket_path(target.config, target.socket), request, timeout_s);
  } catch (const ControlRefused& e) {
    std::fprintf(stderr, "tlsgate: %s\n", e.what());
    throw CLI::RuntimeError(1);
  } catch (const ControlUnreachable& e) {
    std::fprintf(stderr, "tlsgate: %s\n", e.what());
    throw CLI::RuntimeError(2);
  }
}

}  // namespace tlsgate

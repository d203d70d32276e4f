#include "gateway/daemon/policy_reload_cli.hpp"

#include <cstdio>
#include <memory>

#include "gateway/daemon/control_command.hpp"

namespace tlsgate {
namespace {

// Loading a large host list and hearing from every worker take a few seconds.
constexpr int reload_timeout_s = 60;

void run_reload(const ControlTarget& target) {
  const nlohmann::json reply = call_daemon(target, {{"command", "policy reload"}}, reload_timeout_s);
  std::printf("policy reloaded: %zu rules; %zu running flows refused and closed", reply.at("rules").get<std::size_t>(),
              reply.at("closed_flows").get<std::size_t>());
  const auto workers = reply.at("workers").get<std::size_t>();
  const auto answered = reply.at("answered").get<std::size_t>();
  if (answered < workers) std::printf(" (%zu of %zu workers answered in time)", answered, workers);
  std::printf("\n");
}

}  // namespace

void add_policy_reload_command(CLI::App& policy) {
  auto target = std::make_shared<ControlTarget>();
  auto* reload = policy.add_subcommand(
      "reload", "Ask the running daemon to reload its policy file now (as SIGHUP does) and print the outcome");
  reload->footer(
      "A valid file is in force for the next decision, and running flows it refuses are closed.\n"
      "An invalid one (a bad rule, a host list that cannot be read) is refused with its file and\n"
      "line, and the previous policy stays. Either way the flow log gets an \"event\":\"policy\" line.\n"
      "Exit status: 0 reloaded, 1 refused (the reason on stderr), 2 the daemon cannot be reached.");
  add_control_target_options(reload, *target);
  reload->callback([target] { run_reload(*target); });
}

}  // namespace tlsgate

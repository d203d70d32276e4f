// tlsgate command line: argument parsing only; each command lives elsewhere.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "gateway/config.hpp"
#include "gateway/daemon/daemon.hpp"
#include "gateway/tls/ca_cli.hpp"
#include "gateway/policy/bypass_cli.hpp"
#include "gateway/policy/policy_cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "tlsgate: a transparent gateway that intercepts, tunnels or blocks the TLS connections of the LAN\n"
      "behind it (REDIRECT or TPROXY), and writes one JSON line per flow."};
  app.require_subcommand(1);

  std::string config_path;
  auto* run = app.add_subcommand("run", "Run the gateway daemon (needs the nftables/iptables rules of scripts/rules.sh)");
  run->add_option("-c,--config", config_path, "JSON config file (see docs/configuration.md)")
      ->required()
      ->check(CLI::ExistingFile);
  run->footer(
      "Signals: SIGHUP reopens the flow log; SIGTERM/SIGINT stop accepting, let flows finish\n"
      "within shutdown_grace_s, then close the rest and flush the log.");

  tlsgate::tls::add_ca_commands(app);
  tlsgate::policy::add_policy_commands(app);
  tlsgate::policy::add_bypass_commands(app);

  CLI11_PARSE(app, argc, argv);

  if (run->parsed()) {
    try {
      return tlsgate::run_daemon(tlsgate::load_config_file(config_path));
    } catch (const tlsgate::ConfigError& e) {
      std::fprintf(stderr, "tlsgate: invalid config: %s\n", e.what());
      return 2;
    }
  }
  return 0;
}

// tlsgate command line: argument parsing only; each command lives elsewhere.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "gateway/config.hpp"
#include "gateway/daemon/bypass_cli.hpp"
#include "gateway/daemon/config_check.hpp"
#include "gateway/daemon/daemon.hpp"
#include "gateway/daemon/nfqueue_relay_main.hpp"
#include "gateway/daemon/policy_reload_cli.hpp"
#include "gateway/daemon/privileges.hpp"
#include "gateway/daemon/version.hpp"
#include "gateway/diag.hpp"
#include "gateway/icap/icap_cli.hpp"
#include "gateway/metrics/status_cli.hpp"
#include "gateway/policy/policy_cli.hpp"
#include "gateway/tls/ca_cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "tlsgate: a transparent gateway that intercepts, tunnels or blocks the TLS connections of the LAN\n"
      "behind it (REDIRECT or TPROXY), and writes one JSON line per flow."};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", tlsgate::version_line(), "Print the version (and OpenSSL's, Boost's) and exit");

  std::string config_path;
  auto* run = app.add_subcommand("run", "Run the gateway daemon (needs the nftables/iptables rules of scripts/rules.sh)");
  run->add_option("-c,--config", config_path, "JSON config file (see docs/configuration.md)")
      ->required()
      ->check(CLI::ExistingFile);
  bool test_only = false;
  bool allow_root = false;
  run->add_flag("--allow-root", allow_root, "run as root when the config has no `user` (refused otherwise)");
  run->add_flag("-t,--test", test_only, "check the config and exit, like `tlsgate config check` (compare nginx -t)");
  run->footer(
      "Signals: SIGHUP reopens the flow log and reloads the policy; SIGTERM/SIGINT stop accepting, let flows\n"
      "finish within shutdown_grace_s, then close the rest and flush the log.\n"
      "Under systemd (Type=notify) it reports READY=1, RELOADING=1, STOPPING=1 and pings the watchdog\n"
      "(WatchdogSec) while its worker threads answer. Diagnostics go to stderr with journal level prefixes.");

  // Internal: the daemon starts it for the QUIC guard (netfilter/nfqueue_relay.hpp). No group: hidden.
  tlsgate::RelayOptions relay_options;
  std::string relay_user;
  auto* relay = app.add_subcommand("nfqueue-relay", "")->group("");
  relay->add_option("--fd", relay_options.fd)->required();
  relay->add_option("--queue", relay_options.queue)->required();
  relay->add_flag("--fail-open", relay_options.fail_open);
  relay->add_option("--user", relay_user);

  tlsgate::add_config_commands(app);
  tlsgate::metrics::add_status_command(app);
  tlsgate::tls::add_ca_commands(app);
  tlsgate::policy::add_policy_commands(app);
  tlsgate::add_policy_reload_command(*app.get_subcommand("policy"));
  tlsgate::add_bypass_commands(app);
  tlsgate::icap::add_icap_commands(app);

  CLI11_PARSE(app, argc, argv);

  if (relay->parsed()) {
    if (!relay_user.empty()) relay_options.user = relay_user;
    return tlsgate::run_nfqueue_relay(relay_options);
  }
  if (run->parsed() && test_only) return tlsgate::run_config_check(config_path, false);
  if (run->parsed()) {
    try {
      const tlsgate::Config config = tlsgate::load_config_file(config_path);
      if (const auto refusal = tlsgate::root_refusal(::geteuid() == 0, config.user, allow_root)) {
        tlsgate::diag::error("%s", refusal->c_str());
        return 1;
      }
      return tlsgate::run_daemon(config);
    } catch (const tlsgate::ConfigError& e) {
      tlsgate::diag::error("invalid config: %s", e.what());
      return 2;
    }
  }
  return 0;
}

#include "gateway/daemon/bypass_cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/daemon/control_command.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate {
namespace {

using nlohmann::json;

struct Options {
  ControlTarget target;
  bool json_output = false;
  std::string host;
  std::string client;
};

json call(const Options& o, const json& request) { return call_daemon(o.target, request); }

void run_list(const Options& o) {
  const json reply = call(o, {{"command", "bypass list"}});
  const json& entries = reply.at("entries");
  if (o.json_output) {
    std::printf("%s\n", entries.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    return;
  }
  for (const auto& e : entries) {
    const std::string client = e["client"].is_null() ? "*" : e["client"].get<std::string>();
    std::printf("%s %s evidence=%zu expires=%s why=%s\n", e["host"].get<std::string>().c_str(), client.c_str(),
                e["evidence"].get<std::size_t>(), e["expires"].get<std::string>().c_str(),
                e["why"].get<std::string>().c_str());
  }
  if (entries.empty()) std::fprintf(stderr, "tlsgate: no learned bypass entries\n");
}

void run_forget(const Options& o) {
  json request{{"command", "bypass forget"}, {"host", o.host}};
  if (!o.client.empty()) request["client"] = o.client;
  const json reply = call(o, request);
  const auto n = reply.at("forgotten").get<std::size_t>();
  std::printf("forgot %zu entr%s for %s%s\n", n, n == 1 ? "y" : "ies", o.host.c_str(),
              o.client.empty() ? "" : (" and client " + o.client).c_str());
}

void run_clear(const Options& o) {
  const json reply = call(o, {{"command", "bypass clear"}});
  const auto n = reply.at("cleared").get<std::size_t>();
  std::printf("cleared %zu entr%s\n", n, n == 1 ? "y" : "ies");
}

}  // namespace

void add_bypass_commands(CLI::App& app) {
  auto* bypass = app.add_subcommand("bypass", "Show or change the running daemon's learned bypasses (docs/policy.md)");
  bypass->require_subcommand(1);
  bypass->footer(
      "A learned bypass tunnels a host for a client that rejected the gateway's certificate.\n"
      "These commands talk to the running daemon over its control socket (config key\n"
      "control_socket); changes apply from the next flow and are logged as bypass events.\n"
      "Exit status: 0 done, 1 the daemon refused, 2 the daemon cannot be reached.");
  auto o = std::make_shared<Options>();

  auto* list = bypass->add_subcommand("list", "Print one line per entry: host, client (* = all), evidence, expiry, why");
  add_control_target_options(list, o->target);
  list->add_flag("--json", o->json_output, "print the entries as one JSON array");
  list->callback([o] { run_list(*o); });

  auto* forget = bypass->add_subcommand("forget", "Remove the entries for HOST (all clients, or --client's): "
                                                  "the next flow is intercepted again");
  add_control_target_options(forget, o->target);
  forget->add_option("host", o->host, "host name (SNI, or the server address for clients without SNI)")->required();
  const CLI::Validator ip(
      [](std::string& s) { return IpAddress::parse(s) ? std::string{} : "not an IPv4 or IPv6 address: " + s; }, "IP");
  forget->add_option("--client", o->client, "only the entry of this client")->check(ip);
  forget->callback([o] { run_forget(*o); });

  auto* clear = bypass->add_subcommand("clear", "Remove every entry");
  add_control_target_options(clear, o->target);
  clear->callback([o] { run_clear(*o); });
}

}  // namespace tlsgate

#include "gateway/daemon/bypass_cli.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/config.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate {
namespace {

using nlohmann::json;

constexpr const char* default_config = "/etc/tlsgate/tlsgate.json";
constexpr int reply_timeout_s = 10;

struct Options {
  std::string config = default_config;
  std::string socket;
  bool json_output = false;
  std::string host;
  std::string client;
};

[[noreturn]] void unreachable(const std::string& why) {
  std::fprintf(stderr, "tlsgate: %s\n", why.c_str());
  throw CLI::RuntimeError(2);
}

std::string socket_path(const Options& o) {
  if (!o.socket.empty()) return o.socket;
  try {
    const Config config = load_config_file(o.config);
    if (!config.control_socket) unreachable(o.config + ": control_socket is null: the daemon has no control socket");
    return *config.control_socket;
  } catch (const ConfigError& e) {
    unreachable(std::string("cannot find the control socket: ") + e.what() + " (give --config FILE or --socket PATH)");
  }
}

// Sends one request line; returns the reply line. Exits 2 when nobody answers.
std::string exchange(const std::string& path, const std::string& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) unreachable(std::string("socket: ") + std::strerror(errno));
  const std::unique_ptr<int, void (*)(int*)> closer(new int(fd), [](int* p) { ::close(*p); delete p; });
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) unreachable(path + ": the path is too long for a unix socket");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED)
      unreachable(path + ": " + std::strerror(e) + ": is the tlsgate daemon running (with this config)?");
    unreachable(path + ": " + std::strerror(e));
  }
  const timeval timeout{reply_timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string line = request + "\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    unreachable(path + ": sending the request: " + std::strerror(errno));
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) unreachable(path + ": no reply from the daemon: " + std::strerror(errno));
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  if (reply.empty()) unreachable(path + ": the daemon closed the connection without a reply");
  return reply;
}

// Sends the request; returns the reply when it says ok, else prints its error and exits 1.
json call(const Options& o, const json& request) {
  const std::string text = exchange(socket_path(o), request.dump());
  json reply;
  try {
    reply = json::parse(text);
  } catch (const json::exception&) {
    unreachable("the daemon's reply is not JSON: " + text);
  }
  if (!reply.value("ok", false)) {
    std::fprintf(stderr, "tlsgate: %s\n", reply.value("error", std::string("the daemon refused the request")).c_str());
    throw CLI::RuntimeError(1);
  }
  return reply;
}

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

void add_connection_options(CLI::App* cmd, Options& o) {
  cmd->add_option("-c,--config", o.config, "the daemon's config file, to find its control_socket")
      ->default_str(default_config);
  cmd->add_option("--socket", o.socket, "the control socket (instead of reading --config)");
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
  add_connection_options(list, *o);
  list->add_flag("--json", o->json_output, "print the entries as one JSON array");
  list->callback([o] { run_list(*o); });

  auto* forget = bypass->add_subcommand("forget", "Remove the entries for HOST (all clients, or --client's): "
                                                  "the next flow is intercepted again");
  add_connection_options(forget, *o);
  forget->add_option("host", o->host, "host name (SNI, or the server address for clients without SNI)")->required();
  const CLI::Validator ip(
      [](std::string& s) { return IpAddress::parse(s) ? std::string{} : "not an IPv4 or IPv6 address: " + s; }, "IP");
  forget->add_option("--client", o->client, "only the entry of this client")->check(ip);
  forget->callback([o] { run_forget(*o); });

  auto* clear = bypass->add_subcommand("clear", "Remove every entry");
  add_connection_options(clear, *o);
  clear->callback([o] { run_clear(*o); });
}

}  // namespace tlsgate

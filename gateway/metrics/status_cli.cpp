#include "gateway/metrics/status_cli.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"
#include "gateway/control_client.hpp"
#include "gateway/diag.hpp"
#include "gateway/metrics/exposition.hpp"
#include "gateway/metrics/status_text.hpp"

namespace tlsgate::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto scrape_timeout = std::chrono::seconds(5);

struct Options {
  std::string config = "/etc/tlsgate/tlsgate.json";
  std::string address;  // overrides the config
  bool raw = false;
  bool flows = false;   // list the running flows (control socket) instead of the counters
  unsigned older_than_s = 0;
  unsigned limit = 100;
  std::string socket;   // overrides the config's control_socket
};

[[noreturn]] void fail(const std::string& message) {
  diag::error("%s", message.c_str());
  throw CLI::RuntimeError(1);
}

struct Reply {
  unsigned status = 0;
  std::string body;
};

// One GET with a deadline; throws beast/system errors.
Reply get(const Endpoint& where, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(scrape_timeout);
  http::response<http::string_body> res;
  boost::system::error_code error;
  stream.async_connect(to_asio(where), [&](beast::error_code ec) {
    if (ec) return void(error = ec);
    auto req = std::make_shared<http::request<http::empty_body>>(http::verb::get, target, 11);
    req->set(http::field::host, "tlsgate");
    req->set(http::field::connection, "close");
    http::async_write(stream, *req, [&, req](beast::error_code wec, std::size_t) {
      if (wec) return void(error = wec);
      auto buffer = std::make_shared<beast::flat_buffer>();
      http::async_read(stream, *buffer, res, [&, buffer](beast::error_code rec, std::size_t) { error = rec; });
    });
  });
  io.run();
  if (error) throw boost::system::system_error(error);
  return Reply{res.result_int(), std::move(res.body())};
}

Config config_from(const Options& o) {
  try {
    return load_config_file(o.config);
  } catch (const ConfigError& e) {
    fail(std::string("invalid config: ") + e.what());
  }
}

std::string endpoint_text(const nlohmann::json& ep) {
  const std::string ip = ep.at("ip").get<std::string>();
  const std::string port = std::to_string(ep.at("port").get<unsigned>());
  return ip.find(':') == std::string::npos ? ip + ":" + port : "[" + ip + "]:" + port;
}

// `status --flows`: one line per flow, oldest first.
void run_flows(const Options& o) {
  const nlohmann::json request{{"command", "flows"}, {"older_than_s", o.older_than_s}, {"limit", o.limit}};
  nlohmann::json reply;
  try {
    reply = control_call(control_socket_path(o.config, o.socket), request);
  } catch (const std::runtime_error& e) {  // unreachable, or refused
    fail(e.what());
  }
  const auto workers = reply.at("workers").get<std::size_t>();
  const auto answered = reply.at("answered").get<std::size_t>();
  if (o.raw) {
    std::printf("%s\n", reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("%zu flows running, %zu older than %u s (workers answering: %zu of %zu)%s\n",
                reply.at("running").get<std::size_t>(), reply.at("older").get<std::size_t>(), o.older_than_s,
                answered, workers, reply.at("flows").size() < reply.at("older").get<std::size_t>() ? "; the oldest:" : "");
    if (!reply.at("flows").empty())
      std::printf("%-10s %8s %8s %-18s %-23s %-23s %s\n", "flow_id", "age_s", "idle_s", "phase", "client", "server", "host");
    for (const auto& f : reply.at("flows")) {
      const std::string host = f.at("host").is_null() ? "-" : f.at("host").get<std::string>();
      std::printf("%-10llu %8.1f %8.1f %-18s %-23s %-23s %s\n", f.at("flow_id").get<unsigned long long>(),
                  f.at("age_s").get<double>(), f.at("idle_s").get<double>(), f.at("phase").get<std::string>().c_str(),
                  endpoint_text(f.at("client")).c_str(), endpoint_text(f.at("server")).c_str(), host.c_str());
    }
  }
  if (answered < workers) throw CLI::RuntimeError(3);
}

Endpoint endpoint_from(const Options& o) {
  if (!o.address.empty()) {
    const auto ep = parse_host_port(o.address);
    if (!ep) fail("--metrics " + o.address + ": must be address:port, e.g. 127.0.0.1:9101");
    return *ep;
  }
  const Config config = config_from(o);
  if (!config.metrics_listen)
    fail(o.config + ": metrics are off (no metrics_listen); set e.g. \"metrics_listen\": \"127.0.0.1:9101\" and restart");
  return *config.metrics_listen;
}

void run(const Options& o) {
  if (o.flows) return run_flows(o);
  const Endpoint where = endpoint_from(o);
  const std::string name = "[" + where.ip.to_string() + "]:" + std::to_string(where.port);
  Reply metrics, health;
  try {
    metrics = get(where, "/metrics");
    health = get(where, "/health");
  } catch (const std::exception& e) {
    fail("cannot reach the metrics endpoint " + name + " (is tlsgate running?): " + e.what());
  }
  if (metrics.status != 200) fail("GET " + name + "/metrics answered " + std::to_string(metrics.status));
  if (o.raw) {
    std::fputs(metrics.body.c_str(), stdout);
    return;
  }
  std::printf("endpoint: %s\nhealth: %s\n", name.c_str(),
              health.status == 200 ? "ok (workers answering)" : "FAILING (workers not answering)");
  std::fputs(status_text(parse(metrics.body)).c_str(), stdout);
  if (health.status != 200) throw CLI::RuntimeError(3);
}

}  // namespace

void add_status_command(CLI::App& app) {
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "status", "Show a running daemon's counters: scrapes its metrics endpoint (metrics_listen of the config); "
                "with --flows, lists its running flows (control socket)");
  cmd->add_option("-c,--config", options->config, "the daemon's JSON config, for metrics_listen (control_socket with --flows)")
      ->capture_default_str();
  cmd->add_option("--metrics", options->address, "address:port of the metrics endpoint (instead of the config)");
  cmd->add_flag("--raw", options->raw, "print the Prometheus text as served (with --flows: the JSON reply)");
  auto* flows = cmd->add_flag("--flows", options->flows,
                              "list the running flows, oldest first: flow id, age, idle time, phase (decision, connect, "
                              "upstream_handshake, client_handshake, relay), client, server, host");
  cmd->add_option("--older-than", options->older_than_s, "with --flows: only flows running for at least N seconds")
      ->needs(flows)
      ->capture_default_str();
  cmd->add_option("--limit", options->limit, "with --flows: list at most N flows (the daemon caps it at 10000)")
      ->needs(flows)
      ->capture_default_str();
  cmd->add_option("--socket", options->socket, "with --flows: the control socket (instead of the config's control_socket)")
      ->needs(flows);
  cmd->footer(
      "Exit status: 0 healthy, 1 cannot scrape (metrics off, daemon down; with --flows: no control socket),\n"
      "3 workers not answering (with --flows: some workers did not list their flows in time).");
  cmd->callback([options] { run(*options); });
}

}  // namespace tlsgate::metrics

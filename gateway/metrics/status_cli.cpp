#include "gateway/metrics/status_cli.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"
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

Endpoint endpoint_from(const Options& o) {
  if (!o.address.empty()) {
    const auto ep = parse_host_port(o.address);
    if (!ep) fail("--metrics " + o.address + ": must be address:port, e.g. 127.0.0.1:9101");
    return *ep;
  }
  Config config;
  try {
    config = load_config_file(o.config);
  } catch (const ConfigError& e) {
    fail(std::string("invalid config: ") + e.what());
  }
  if (!config.metrics_listen)
    fail(o.config + ": metrics are off (no metrics_listen); set e.g. \"metrics_listen\": \"127.0.0.1:9101\" and restart");
  return *config.metrics_listen;
}

void run(const Options& o) {
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
      "status", "Show a running daemon's counters: scrapes its metrics endpoint (metrics_listen of the config)");
  cmd->add_option("-c,--config", options->config, "the daemon's JSON config, for metrics_listen")
      ->capture_default_str();
  cmd->add_option("--metrics", options->address, "address:port of the metrics endpoint (instead of the config)");
  cmd->add_flag("--raw", options->raw, "print the Prometheus text as served");
  cmd->footer("Exit status: 0 healthy, 1 cannot scrape (metrics off, daemon down), 3 workers not answering.");
  cmd->callback([options] { run(*options); });
}

}  // namespace tlsgate::metrics

#include "gateway/icap/icap_cli.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "gateway/asio.hpp"
#include "gateway/diag.hpp"
#include "gateway/icap/icap_client.hpp"
#include "gateway/icap/scan_config.hpp"

namespace tlsgate::icap {
namespace {

using nlohmann::json;

struct ScanOptions {
  std::string service;
  bool reqmod = false;
  bool options_only = false;
  std::string content_type = "application/octet-stream";
  unsigned timeout_ms = 30000;
  unsigned max_connections = 4;
  unsigned interval_ms = 0;
  bool parallel = false;
  std::vector<std::string> files;
};

[[noreturn]] void fail(const std::string& message, int code = 2) {
  diag::error("%s", message.c_str());
  throw CLI::RuntimeError(code);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open " + path);
  in.seekg(0, std::ios::end);
  if (static_cast<std::uint64_t>(in.tellg()) > max_scan_max_bytes) fail(path + " is larger than a scan may hold");
  in.seekg(0);
  return {std::istreambuf_iterator<char>(in), {}};
}

void print(const json& line) { std::printf("%s\n", line.dump().c_str()); }

json options_json(const IcapOptions& o) {
  json j{{"event", "options"},
         {"methods", o.methods},
         {"istag", o.istag},
         {"service", o.service},
         {"allow_204", o.allow_204},
         {"transfer_preview", o.transfer_preview},
         {"transfer_ignore", o.transfer_ignore},
         {"transfer_complete", o.transfer_complete}};
  j["preview"] = o.preview ? json(*o.preview) : json(nullptr);
  j["max_connections"] = o.max_connections ? json(*o.max_connections) : json(nullptr);
  j["options_ttl_s"] = o.ttl ? json(o.ttl->count()) : json(nullptr);
  return j;
}

// An HTTP exchange around the file's bytes, as the gateway would have seen it.
ScanRequest request_for(const ScanOptions& o, const std::string& file, std::string body) {
  const std::string name = file.substr(file.find_last_of('/') + 1);
  const std::string length = "Content-Length: " + std::to_string(body.size()) + "\r\n";
  const std::string type = "Content-Type: " + o.content_type + "\r\n";
  ScanRequest r;
  r.kind = o.reqmod ? ScanKind::reqmod : ScanKind::respmod;
  if (o.reqmod) {
    r.request_head = "POST /" + name + " HTTP/1.1\r\nHost: tlsgate-icap-scan\r\n" + type + length + "\r\n";
  } else {
    r.request_head = "GET /" + name + " HTTP/1.1\r\nHost: tlsgate-icap-scan\r\n\r\n";
    r.response_head = "HTTP/1.1 200 OK\r\n" + type + length + "\r\n";
  }
  r.body = std::move(body);
  return r;
}

json result_json(const std::string& file, std::size_t size, const ScanResult& r, const IcapClient& client) {
  json j{{"event", "scan"},
         {"file", file},
         {"result", to_string(r.verdict.outcome)},
         {"ms", r.elapsed.count()},
         {"icap_status", r.icap_status},
         {"body_bytes", size},
         {"body_bytes_sent", r.body_bytes_sent},
         {"connections_opened", client.connections_opened()},
         {"options_fetched", client.options_fetched()}};
  if (!r.verdict.threat.empty()) j["threat"] = r.verdict.threat;
  if (!r.verdict.detail.empty()) j["error"] = r.verdict.detail;
  if (!r.verdict.replacement_head.empty()) {
    j["replacement_status"] = r.verdict.replacement_head.substr(0, r.verdict.replacement_head.find("\r\n"));
    j["replacement_body_bytes"] = r.verdict.replacement_body.size();
  }
  return j;
}

// A bug's exception leaves io.run() and reaches CLI11's handler.
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

int exit_code(ScanOutcome outcome) {
  return outcome == ScanOutcome::clean ? 0 : outcome == ScanOutcome::infected ? 1 : 2;
}

// Scans one file and raises `worst` to its exit code. `o`, `client` and `worst`
// outlive every scan: run() owns them and returns after io.run().
awaitable<void> scan_file(const ScanOptions& o, std::string file, IcapClient& client, int& worst) {
  std::string body = read_file(file);
  const std::size_t size = body.size();
  const auto result = co_await client.scan(request_for(o, file, std::move(body)));
  print(result_json(file, size, result, client));
  worst = std::max(worst, exit_code(result.verdict.outcome));
}

// OPTIONS first (they bound the pool), then the files: in turn, or all at once.
awaitable<void> run_scans(const ScanOptions& o, IcapClient& client, int& worst) {
  const auto options = co_await client.refresh_options();
  if (!options.options) {
    print({{"event", "options"}, {"error", options.error}});
    worst = 2;
    if (o.options_only || o.files.empty()) co_return;
  } else {
    print(options_json(*options.options));
  }
  if (o.options_only) co_return;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (std::size_t i = 0; i < o.files.size(); ++i) {
    if (o.parallel) {
      asio::co_spawn(pause.get_executor(), scan_file(o, o.files[i], client, worst), rethrow);
      continue;
    }
    if (i > 0 && o.interval_ms > 0) {
      pause.expires_after(std::chrono::milliseconds(o.interval_ms));
      co_await pause.async_wait(use_tuple);
    }
    co_await scan_file(o, o.files[i], client, worst);
  }
}

void run(const ScanOptions& o) {
  std::string error;
  const auto service = parse_service_uri(o.service, error);
  if (!service) fail("--service " + o.service + ": " + error);
  ClientLimits limits;
  limits.scan_timeout = std::chrono::milliseconds(o.timeout_ms);
  limits.connect_timeout = std::min(limits.connect_timeout, limits.scan_timeout);
  limits.max_connections = o.max_connections;
  asio::io_context io(1);
  IcapClient client(io.get_executor(), *service, limits);
  int worst = 0;
  asio::co_spawn(io, run_scans(o, client, worst), rethrow);
  io.run();
  std::fflush(stdout);
  if (worst != 0) throw CLI::RuntimeError(worst);
}

}  // namespace

void add_icap_commands(CLI::App& app) {
  auto o = std::make_shared<ScanOptions>();
  auto* cmd = app.add_subcommand(
      "icap-scan", "Diagnostic: send files to an ICAP service (RESPMOD or REQMOD) and print its verdicts");
  cmd->add_option("--service", o->service, "icap://IP[:PORT]/SERVICE, as in a rule's scan.service")->required();
  cmd->add_flag("--reqmod", o->reqmod, "Scan as an upload (REQMOD) instead of a download (RESPMOD)");
  cmd->add_flag("--options", o->options_only, "Only fetch and print the service's OPTIONS");
  cmd->add_option("--content-type", o->content_type, "Content-Type of the HTTP message around each file")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", o->timeout_ms, "Bound of each scan (and of OPTIONS)")
      ->check(CLI::Range(1u, 600000u))
      ->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections,
                  "Connections to keep (the service's Max-Connections lowers it)")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  cmd->add_option("--interval-ms", o->interval_ms,
                  "Pause between files (to watch Options-TTL refreshes and kept-alive connections)");
  cmd->add_flag("--parallel", o->parallel, "Scan every file at once (the pool bounds the connections)");
  cmd->add_option("files", o->files, "Files to scan, one after the other over the same connection pool")
      ->check(CLI::ExistingFile);
  cmd->footer(
      "Prints one JSON line for the OPTIONS answer, then one per file: result (clean, infected, error),\n"
      "threat, error, ms, icap_status, body_bytes_sent (a preview answered 204 sends less than the body).\n"
      "Exit status: 0 all clean, 1 something infected, 2 an error (as clamscan). See docs/scanning.md.");
  cmd->callback([o] { run(*o); });
}

}  // namespace tlsgate::icap

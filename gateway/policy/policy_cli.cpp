#include "gateway/policy/policy_cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "gateway/diag.hpp"
#include "gateway/policy/lint.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate::policy {
namespace {

struct CheckOptions {
  std::string policy_file;
  std::vector<std::string> hosts;
  std::string client;
  std::string server;
  std::optional<std::uint16_t> port;
  std::string mac;
  std::string time;  // "mon 21:30"; empty: now
  std::string path;    // a request target; with method or scheme: decide a request
  std::string method;  // default GET
  std::string scheme;  // default: http on port 80, https otherwise
  bool stats = false;
};

// The request --path, --method and --scheme describe; nullopt when none was given.
std::optional<RequestFields> request_fields(const CheckOptions& o) {
  if (o.path.empty() && o.method.empty() && o.scheme.empty()) return std::nullopt;
  RequestFields r;
  r.path = request_path(o.path.empty() ? "/" : o.path);
  r.method = o.method.empty() ? "GET" : o.method;
  r.scheme = !o.scheme.empty() ? o.scheme : (o.port == 80 ? "http" : "https");
  return r;
}

void print_request(const Policy& policy, const Query& q, const Decision& d) {
  if (!q.request) {
    const bool requests = std::any_of(policy.rules().begin(), policy.rules().end(),
                                      [](const Rule& r) { return r.is_request_rule(); });
    if (requests && policy.requests_can_matter(q, d))
      std::printf("note: request rules could decide this flow's requests (it is intercepted so they can): "
                  "give --path, --method or --scheme to check one\n");
    return;
  }
  std::printf("request: %s %s %s\n", q.request->method.c_str(), q.request->scheme.c_str(), q.request->path.c_str());
  if (!d.rule_index) return;
  for (const auto& e : policy.rules()[*d.rule_index].header_edits) {
    if (e.kind == HeaderEdit::Kind::set) std::printf("header: set %s: %s\n", e.name.c_str(), e.value.c_str());
    else std::printf("header: remove %s\n", e.name.c_str());
  }
}

// A line of /proc/self/status in MiB ("VmRSS", "VmHWM"); 0 when unreadable.
double status_mib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0 && line.size() > std::strlen(key) && line[std::strlen(key)] == ':')
      return std::strtod(line.c_str() + std::strlen(key) + 1, nullptr) / 1024.0;
  return 0;
}

// Which of the deciding rule's hosts or list entries matched: the pattern, or
// the list file and line (the file is read again).
void print_host_match(const Rule& rule, const std::vector<std::string>& hosts) {
  for (const auto& raw : hosts) {
    const std::string host = normalize_host(raw);
    for (const auto& p : rule.hosts) {
      const bool hit = (p.kind == HostPattern::Kind::exact && p.name == host) ||
                       (p.kind == HostPattern::Kind::wildcard && is_subdomain(host, p.name));
      if (!hit) continue;
      std::printf("matched: %s by host \"%s\"\n", host.c_str(), p.to_string().c_str());
      return;
    }
    for (const auto& list : rule.host_lists) {
      try {
        if (const auto found = find_in_host_list(list.path, host, HostListLimits{})) {
          std::printf("matched: %s by %s:%zu: %s\n", host.c_str(), list.path.c_str(), found->line, found->entry.c_str());
          return;
        }
      } catch (const PolicyError& e) {
        diag::error("%s", e.what());
      }
    }
  }
}

std::optional<IpAddress> address(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return IpAddress::parse(text);  // validated by the option's check
}

void run_check(const CheckOptions& o) {
  std::optional<Policy> policy;
  const double rss_before = status_mib("VmRSS");
  const auto start = std::chrono::steady_clock::now();
  try {
    policy.emplace(Policy::load_file(o.policy_file));
  } catch (const PolicyError& e) {
    diag::error("invalid policy: %s", e.what());
    throw CLI::RuntimeError(2);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (o.stats)
    std::printf("stats: loaded in %.3f s; %zu rules; %zu host list names; index %.1f MiB; resident +%.1f MiB "
                "(peak %.1f MiB for the process)\n",
                took.count(), policy->rule_count(), policy->list_names(),
                static_cast<double>(policy->index_bytes()) / (1 << 20), status_mib("VmRSS") - rss_before,
                status_mib("VmHWM"));
  Query q;
  q.hosts = o.hosts;
  q.client = address(o.client);
  q.server = address(o.server);
  q.port = o.port;
  if (!o.mac.empty()) q.client_mac = MacAddress::parse(o.mac);  // validated by the option's check
  q.local_time = o.time.empty() ? local_minute_of_week(std::time(nullptr)) : parse_minute_of_week(o.time);
  q.request = request_fields(o);
  const Decision d = policy->match(q);
  // A request that goes upstream is allowed: intercept (a request rule's "allow"), or a tunnel
  // rule's host whose flows request rules make intercepted.
  const bool allowed = q.request && (d.action == Action::intercept ||
                                     (d.action == Action::tunnel && policy->requests_can_matter(q, d)));
  std::printf("action: %s\n", allowed ? "allow" : std::string(to_string(d.action)).c_str());
  if (!d.rule_index || d.rule == rule_path(*d.rule_index))
    std::printf("rule: %s\n", d.rule.c_str());
  else
    std::printf("rule: %s (%s)\n", d.rule.c_str(), rule_path(*d.rule_index).c_str());
  if (d.action == Action::onboard)
    std::printf("note: onboard intercepts TLS; on an HTTP port the request is redirected to the CA onboarding page "
                "unless the gateway CA is known to work for the client\n");
  if (d.rule_index) {
    const Rule& rule = policy->rules()[*d.rule_index];
    print_host_match(rule, q.hosts);
    if (rule.when)
      std::printf("when: %s (at %s)\n", rule.when->to_string().c_str(), format_minute_of_week(*q.local_time).c_str());
  }
  print_request(*policy, q, d);
  if (q.hosts.empty() && policy->host_can_matter(q))
    std::printf("note: without a host (no SNI), host rules could still decide: the gateway waits for the "
                "upstream certificate's names, and decides as above only if the upstream cannot be reached\n");
}

void run_lint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diag::error("%s: cannot open the policy file", path.c_str());
    throw CLI::RuntimeError(2);
  }
  std::ostringstream text;
  text << in.rdbuf();
  const auto findings = lint(text.str(), path);
  std::size_t errors = 0;
  for (const auto& f : findings) {
    const bool error = f.severity == LintFinding::Severity::error;
    errors += error ? 1 : 0;
    std::printf("%s: %s: %s\n", f.where.c_str(), error ? "error" : "warning", f.message.c_str());
  }
  std::printf("%s: %zu error(s), %zu warning(s)\n", path.c_str(), errors, findings.size() - errors);
  if (errors > 0) throw CLI::RuntimeError(1);
}

}  // namespace

void add_policy_commands(CLI::App& app) {
  auto* policy = app.add_subcommand("policy", "Check a policy file (docs/policy.md)");
  policy->require_subcommand(1);

  auto o = std::make_shared<CheckOptions>();
  auto* check = policy->add_subcommand("check", "Print the action the policy takes for a flow, and the rule that decides");
  check->add_option("-p,--policy", o->policy_file, "policy file")->required();
  check->add_option("--host", o->hosts, "host name (SNI); repeat for the names of a certificate");
  const CLI::Validator ip(
      [](std::string& s) { return IpAddress::parse(s) ? std::string{} : "not an IPv4 or IPv6 address: " + s; }, "IP");
  check->add_option("--client", o->client, "client IP address")->check(ip);
  check->add_option("--server", o->server, "server IP address (the original destination)")->check(ip);
  check->add_option("--port", o->port, "server port")->check(CLI::Range(1, 65535));
  check->add_option("--mac", o->mac, "client MAC address (client groups by MAC)")
      ->check(CLI::Validator(
          [](std::string& s) { return MacAddress::parse(s) ? std::string{} : "not a MAC address: " + s; }, "MAC"));
  check->add_option("--time", o->time, "local day and time, like \"sat 21:30\" (default: now)")
      ->check(CLI::Validator(
          [](std::string& s) { return parse_minute_of_week(s) ? std::string{} : "not \"DAY HH:MM\": " + s; }, "TIME"));
  check->add_option("--path", o->path, "an HTTP request's path (query and all: compared without the query)");
  check->add_option("--method", o->method, "an HTTP request's method (default GET)")
      ->check(CLI::Validator([](std::string& s) { return is_method_name(s) ? std::string{} : "not a method: " + s; },
                             "METHOD"));
  check->add_option("--scheme", o->scheme, "http or https (default: http for --port 80, else https)")
      ->check(CLI::IsMember({"http", "https"}));
  check->add_flag("--stats", o->stats, "print load time, host list names and memory");
  check->callback([o] { run_check(*o); });

  auto path = std::make_shared<std::string>();
  auto* lint_cmd = policy->add_subcommand("lint", "Report errors and warnings (unreachable rules, duplicate hosts, "
                                                  "patterns that never match); exit 1 on errors");
  lint_cmd->add_option("file", *path, "policy file")->required();
  lint_cmd->callback([path] { run_lint(*path); });
}

}  // namespace tlsgate::policy

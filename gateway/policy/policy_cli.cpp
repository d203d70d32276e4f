#include "gateway/policy/policy_cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
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
};

std::optional<IpAddress> address(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return IpAddress::parse(text);  // validated by the option's check
}

void run_check(const CheckOptions& o) {
  std::optional<Policy> policy;
  try {
    policy.emplace(Policy::load_file(o.policy_file));
  } catch (const PolicyError& e) {
    diag::error("invalid policy: %s", e.what());
    throw CLI::RuntimeError(2);
  }
  const Query q{o.hosts, address(o.client), address(o.server), o.port};
  const Decision d = policy->match(q);
  std::printf("action: %s\n", std::string(to_string(d.action)).c_str());
  if (!d.rule_index || d.rule == rule_path(*d.rule_index))
    std::printf("rule: %s\n", d.rule.c_str());
  else
    std::printf("rule: %s (%s)\n", d.rule.c_str(), rule_path(*d.rule_index).c_str());
  if (d.action == Action::onboard)
    std::printf("note: onboard intercepts TLS; on an HTTP port the request is redirected to the CA onboarding page "
                "unless the gateway CA is known to work for the client\n");
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
  check->callback([o] { run_check(*o); });

  auto path = std::make_shared<std::string>();
  auto* lint_cmd = policy->add_subcommand("lint", "Report errors and warnings (unreachable rules, duplicate hosts, "
                                                  "patterns that never match); exit 1 on errors");
  lint_cmd->add_option("file", *path, "policy file")->required();
  lint_cmd->callback([path] { run_lint(*path); });
}

}  // namespace tlsgate::policy

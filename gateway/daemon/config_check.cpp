#include "gateway/daemon/config_check.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "gateway/daemon/fd_limit.hpp"
#include "gateway/flow/block_page.hpp"
#include "gateway/daemon/policy_needs.hpp"
#include "gateway/diag.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/tls/certificate_authority.hpp"

namespace tlsgate {
namespace {

namespace fs = std::filesystem;

std::string parent_of(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : ".";
}

// A file the daemon appends to: writable if it exists, else its directory is.
void check_writable(const std::string& key, const std::string& path, CheckReport& r) {
  const bool exists = ::access(path.c_str(), F_OK) == 0;
  const std::string target = exists ? path : parent_of(path);
  if (::access(target.c_str(), W_OK) != 0)
    r.errors.push_back(key + ": " + target + " is not writable (" + std::strerror(errno) + ")");
  else
    r.ok.push_back(key + ": " + path + (exists ? " (writable)" : " (will be created)"));
}

void check_ca(const Config& c, CheckReport& r) {
  try {
    if (c.ca_cert) {
      tls::CertificateAuthority::load(*c.ca_cert, *c.ca_key);
      r.ok.push_back("ca_cert: " + *c.ca_cert + " (operator-supplied, key matches)");
      return;
    }
    const auto cert = tls::CertificateAuthority::cert_path_in(c.state_dir);
    if (::access(cert.c_str(), F_OK) != 0) {
      r.ok.push_back("state_dir: no CA in " + c.state_dir + " yet: one is created at first start");
      return;
    }
    tls::CertificateAuthority::load(cert, tls::CertificateAuthority::key_path_in(c.state_dir));
    r.ok.push_back("state_dir: CA " + cert + " (key matches)");
  } catch (const std::exception& e) {
    r.errors.push_back(std::string(c.ca_cert ? "/ca_cert" : "/state_dir") + ": " + e.what());
  }
}

void check_policy(const Config& c, CheckReport& r) {
  if (!c.policy_file) {
    r.ok.push_back(std::string("policy: none, every flow gets default_action ") +
                   (c.default_action == DefaultAction::intercept ? "intercept" : "tunnel"));
    return;
  }
  try {
    const auto policy = policy::Policy::load_file(*c.policy_file);
    check_policy_needs(policy, c, *c.policy_file);
    r.ok.push_back("policy_file: " + *c.policy_file + " (" + std::to_string(policy.rule_count()) + " rules)");
  } catch (const std::exception& e) {
    r.errors.push_back(std::string("/policy_file: ") + e.what());
  }
}

void check_readable(const std::string& key, const std::optional<std::string>& path, CheckReport& r) {
  if (!path) return;
  if (::access(path->c_str(), R_OK) != 0)
    r.errors.push_back(key + ": " + *path + ": " + std::strerror(errno));
  else
    r.ok.push_back(key + ": " + *path);
}

}  // namespace

int run_config_check(const std::string& path, bool quiet) {
  Config config;
  try {
    config = load_config_file(path);
  } catch (const ConfigError& e) {
    diag::error("invalid config: %s", e.what());
    return 1;
  }
  const CheckReport report = check_config(config);
  for (const auto& e : report.errors) diag::error("%s: %s", path.c_str(), e.c_str());
  if (!report.errors.empty()) {
    std::printf("%s: %zu problem(s)\n", path.c_str(), report.errors.size());
    return 1;
  }
  if (!quiet)
    for (const auto& line : report.ok) std::printf("  %s\n", line.c_str());
  std::printf("%s: OK\n", path.c_str());
  return 0;
}

CheckReport check_config(const Config& c) {
  CheckReport r;
  r.ok.push_back(std::to_string(c.listeners.size()) + " listener(s), " +
                 (c.workers ? std::to_string(c.workers) : std::string("one per core")) + " worker(s)");
  check_policy(c, r);
  check_ca(c, r);
  check_readable("/upstream_ca_file", c.upstream_ca_file, r);
  if (c.block_page_file) {
    try {
      load_block_page(c);
      r.ok.push_back("block_page_file: " + *c.block_page_file);
    } catch (const ConfigError& e) {
      r.errors.push_back(e.what());
    }
  }
  if (c.flow_log != "stdout") check_writable("/flow_log", c.flow_log, r);
  if (c.keylog_file) check_writable("/keylog_file", *c.keylog_file, r);
  if (c.user) {
    if (::getpwnam(c.user->c_str()) == nullptr)
      r.errors.push_back("/user: no such user: " + *c.user);
    else
      r.ok.push_back("user: " + *c.user + " (when started as root)");
  }
  if (c.metrics_listen)
    r.ok.push_back("metrics_listen: [" + c.metrics_listen->ip.to_string() + "]:" + std::to_string(c.metrics_listen->port));
  // The daemon raises its soft limit to the hard one; a service gets LimitNOFILE instead.
  r.ok.push_back(fit_max_flows(c.max_flows, hard_file_limit(), descriptor_reserve(c, c.worker_threads())).note +
                 " (this shell's hard limit; under systemd, LimitNOFILE)");
  return r;
}

void add_config_commands(CLI::App& app) {
  auto* config = app.add_subcommand("config", "Work with the daemon's config file");
  config->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto* check = config->add_subcommand(
      "check",
      "Check a config without starting: parse it, load the policy and the CA it names (never creates one), "
      "check the flow log can be written and the user exists. Exit 0 if the daemon would start with it, 1 if not.");
  check->add_option("file", *path, "JSON config file")->required();
  check->add_flag("-q,--quiet", *quiet, "print only the verdict (and errors)");
  check->callback([path, quiet] {
    if (const int rc = run_config_check(*path, *quiet); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace tlsgate

#include "gateway/daemon/startup.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "gateway/daemon/policy_needs.hpp"
#include "gateway/diag.hpp"
#include "gateway/log/events/bypass_event.hpp"
#include "gateway/tls/keys.hpp"

namespace tlsgate {
namespace {

std::shared_ptr<const policy::Policy> initial_policy(const Config& config) {
  if (config.policy_file) {
    auto policy = std::make_shared<const policy::Policy>(policy::Policy::load_file(*config.policy_file));
    check_policy_needs(*policy, config, *config.policy_file);
    return policy;
  }
  return std::make_shared<const policy::Policy>(policy::Policy::allow_all(
      config.default_action == DefaultAction::intercept ? policy::Action::intercept : policy::Action::tunnel));
}

tls::CertificateAuthority gateway_ca(const Config& config) {
  if (config.ca_cert) {
    diag::info("CA %s (operator-supplied)", config.ca_cert->c_str());
    return tls::CertificateAuthority::load(*config.ca_cert, *config.ca_key);
  }
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  if (ec) throw std::runtime_error("cannot create state_dir " + config.state_dir + ": " + ec.message());
  ::chmod(config.state_dir.c_str(), 0700);
  bool created = false;
  auto ca = tls::CertificateAuthority::load_or_create(config.state_dir, *tls::parse_key_type(config.ca_key_type),
                                                      &created);
  if (created) {
    diag::notice(
        "created a new gateway CA: %s/ca.crt (key %s/ca.key, mode 0600); install the certificate on the LAN's "
        "clients (tlsgate ca export)",
        config.state_dir.c_str(), config.state_dir.c_str());
  } else {
    diag::info("CA %s/ca.crt", config.state_dir.c_str());
  }
  return ca;
}

}  // namespace

void prepare_interception(SharedState& shared) {
  const Config& config = shared.config;
  shared.policy.store(initial_policy(config));
  shared.tls = std::make_unique<tls::TlsEngine>(config, gateway_ca(config));
  if (config.learned_bypass) {
    // With an operator-supplied CA nothing else creates state_dir; the list is saved there.
    std::error_code ec;
    std::filesystem::create_directories(config.state_dir, ec);
    policy::LearnedBypassOptions options;
    options.file = config.state_dir + "/learned-bypass.json";
    options.ttl = config.learned_bypass_ttl;
    options.all_clients = config.learned_bypass_all_clients;
    options.weak_threshold = config.learned_bypass_weak_threshold;
    options.weak_window = config.learned_bypass_weak_window;
    options.max_per_client = config.learned_bypass_max_per_client;
    options.all_clients_min_clients = config.learned_bypass_all_clients_min_clients;
    for (const std::string& text : config.learned_bypass_clients) {
      const auto prefix = policy::Cidr::parse(text);
      if (!prefix) throw ConfigError("learned_bypass_clients: " + text + ": host bits set after the prefix");
      options.clients.push_back(*prefix);
    }
    options.client_ipv6_prefix = config.client_ipv6_prefix;
    log::FlowLog& flow_log = shared.log;
    shared.bypass = std::make_unique<policy::LearnedBypass>(
        std::move(options), [&flow_log](policy::BypassEvent event) { flow_log.submit_event(log::bypass_json(event)); });
    shared.bypass->load();
  }
}

}  // namespace tlsgate

#include "gateway/daemon/policy_needs.hpp"

namespace tlsgate {

void check_policy_needs(const policy::Policy& policy, const Config& config, const std::string& source) {
  if (!config.portal_listen) {
    if (const auto where = policy.first_onboard())
      throw policy::PolicyError(source + ": " + *where +
                                ": \"onboard\" sends clients to the CA onboarding page, but the config has no "
                                "portal_listen");
  }
  // A flow waiting for a verdict moves no bytes: the idle timeout must not end it first.
  if (config.icap.scan_timeout < config.idle_timeout) return;
  const auto& rules = policy.rules();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].scan) continue;
    throw policy::PolicyError(source + ": " + policy::rule_path(i) + ".scan: the config's icap.scan_timeout_ms (" +
                              std::to_string(config.icap.scan_timeout.count()) + ") is not below idle_timeout_s (" +
                              std::to_string(config.idle_timeout.count()) +
                              "): a flow waiting for a verdict moves no bytes and would be closed as idle");
  }
}

}  // namespace tlsgate

#include "gateway/daemon/policy_needs.hpp"

namespace tlsgate {

void check_policy_needs(const policy::Policy& policy, const Config& config, const std::string& source) {
  if (config.portal_listen) return;
  if (const auto where = policy.first_onboard())
    throw policy::PolicyError(source + ": " + *where +
                              ": \"onboard\" sends clients to the CA onboarding page, but the config has no "
                              "portal_listen");
}

}  // namespace tlsgate

#pragma once
// What a policy needs from the config, which the policy file alone cannot say:
// an onboard rule (or default) sends clients to the CA onboarding portal, so it
// needs portal_listen; a scan rule needs icap.scan_timeout_ms below
// idle_timeout_s. Checked at startup, at every reload and by `config check`.
#include <string>

#include "gateway/config.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate {

// Throws policy::PolicyError ("FILE: rules[2]: ...") when `policy` needs what `config` lacks.
void check_policy_needs(const policy::Policy& policy, const Config& config, const std::string& source);

}  // namespace tlsgate

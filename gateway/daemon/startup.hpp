#pragma once
// Loads what interception needs before the workers start: the policy, the
// gateway CA (created on first start), the TLS state and the learned bypass.
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {

// Throws std::runtime_error (or policy::PolicyError) with a message for the operator.
void prepare_interception(SharedState& shared);

}  // namespace tlsgate

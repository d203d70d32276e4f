#pragma once
// What a policy reload does to a flow that already runs: it is decided again,
// with what it knows, by the new policy. A flow the new policy refuses is
// closed; any other keeps its action (a tunnel cannot become an interception
// mid-connection, nor the reverse). Pure: no I/O, safe from any thread.
#include <optional>
#include <string>

#include "gateway/config.hpp"
#include "gateway/flow/decision.hpp"

namespace tlsgate {

// The settings every decision of a flow uses, from the config.
DecisionSettings decision_settings(const Config& config);

// Decides the running flow again with `policy`: its facts as the flow keeps
// them and the verdict it runs under (`verdict`). Returns why it must close
// (the new policy blocks its host or addresses, or it is tunnelled blind while
// a host rule now could change its outcome: what decide_flow() resets a new
// flow for), or nullopt to keep it. A flow that was refused, or is not carried
// out yet (its verdict is no tunnel or interception), is kept: it ends on its
// own, and its next decision asks the current policy anyway. The certificate
// names a flow no longer keeps are stood in for by the name its verdict used.
std::optional<std::string> refused_after_reload(const policy::Policy& policy, const FlowFacts& facts,
                                                const FlowVerdict& verdict, DecisionSettings settings);

}  // namespace tlsgate

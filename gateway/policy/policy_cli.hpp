#pragma once
// `tlsgate policy check`, `lint` and `replay` (docs/policy.md).
namespace CLI {
class App;
}

namespace tlsgate::policy {

// Adds the `policy` subcommand with `check`, `lint` and `replay` to `app`. They print to
// stdout and end by exit code through CLI11: check 0 (2 when the policy file is
// unusable, with the reason on stderr); lint 0 when there are no errors (warnings
// allowed), 1 when there are errors; replay 0 (2 when the policy or the log
// cannot be read).
void add_policy_commands(CLI::App& app);

}  // namespace tlsgate::policy

#pragma once
// `tlsgate policy reload`: asks the running daemon to reload its policy file
// (as SIGHUP does) and says how it went: the rules in force and the running
// flows the new policy closed, or why the file was refused (the previous
// policy stays).
#include <CLI/CLI.hpp>

namespace tlsgate {

// Adds `reload` under the `policy` command.
void add_policy_reload_command(CLI::App& policy);

}  // namespace tlsgate

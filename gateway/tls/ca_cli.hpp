#pragma once
// `tlsgate ca init` and `tlsgate ca export`.
#include <CLI/CLI.hpp>

namespace tlsgate::tls {

// Adds the `ca` command group to `app`. The commands run as CLI11 callbacks during parsing;
// on failure they print "tlsgate: <reason>" to stderr and end parsing with CLI::RuntimeError
// (exit code 1), which CLI11_PARSE turns into the process exit code.
void add_ca_commands(CLI::App& app);

}  // namespace tlsgate::tls

#pragma once
// `tlsgate bypass list|forget|clear`: the learned-bypass table of the running
// daemon, over its control socket (docs/policy.md).
namespace CLI {
class App;
}

namespace tlsgate {

// Adds the `bypass` subcommand to `app`. Exit codes through CLI11: 0 done; 1 the
// daemon refused the request (the reason on stderr); 2 the daemon cannot be reached
// (not running, no control socket, no permission) or the config cannot be read.
void add_bypass_commands(CLI::App& app);

}  // namespace tlsgate

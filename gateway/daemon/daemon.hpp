#pragma once
#include "gateway/config.hpp"

namespace tlsgate {

// `tlsgate run`: opens the flow log and the listeners, runs the workers until
// SIGTERM/SIGINT, then drains (stop accepting, let flows finish up to
// shutdown_grace_s, cut the rest) and flushes the log. SIGHUP reopens the log
// and reloads the policy.
// Returns the process exit code; startup errors are printed to stderr.
int run_daemon(const Config& config);

}  // namespace tlsgate

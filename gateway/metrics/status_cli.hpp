#pragma once
// `tlsgate status`: scrapes the running daemon's metrics endpoint (metrics_listen
// of its config) and prints them for a person.
#include <CLI/CLI.hpp>

namespace tlsgate::metrics {

void add_status_command(CLI::App& app);

}  // namespace tlsgate::metrics

#pragma once
// `tlsgate icap-scan`: a diagnostic that sends files to an ICAP service the
// way the gateway will (OPTIONS, preview, Allow: 204, pooled connections)
// and prints one JSON line per answer: to check a scanner setup by hand, and
// what tests/integration/icap_test.sh drives.
#include <CLI/CLI.hpp>

namespace tlsgate::icap {

void add_icap_commands(CLI::App& app);

}  // namespace tlsgate::icap

#pragma once
// `tlsgate config check FILE` (compare `nginx -t`): everything startup would
// load, without starting: the config, the policy file, the CA (operator-supplied,
// or state_dir/ca.crt if it exists; never created here), the files the daemon
// writes, the user it would switch to.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "gateway/config.hpp"

namespace tlsgate {

struct CheckReport {
  std::vector<std::string> ok;      // one line per thing that was loaded
  std::vector<std::string> errors;  // each names the key or file
};

// Checks an already parsed config (the parse errors are ConfigError).
CheckReport check_config(const Config& config);

void add_config_commands(CLI::App& app);
// `config check FILE`: prints the report; returns the exit status (0 OK, 1 not).
int run_config_check(const std::string& path, bool quiet);

}  // namespace tlsgate

// tlsgate command line: argument parsing only; each command lives elsewhere.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"tlsgate: transparent TLS interception gateway"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}

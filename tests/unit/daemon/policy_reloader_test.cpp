#include "gateway/daemon/policy_reloader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/flow/shared_state.hpp"

namespace tlsgate {
namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// A reload that fails (syntax, size or nesting cap) keeps the policy in force.
TEST(PolicyReloader, BadReloadKeepsThePreviousPolicy) {
  const auto dir = std::filesystem::temp_directory_path() / ("reloader-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto policy_path = dir / "policy.json";
  write_file(policy_path, R"({"default": "tunnel", "rules": [{"host": "a.example", "action": "block"}]})");
  Config config;
  config.policy_file = policy_path.string();
  log::FlowLog flow_log((dir / "flows.jsonl").string(), 1024);
  SharedState shared(config, flow_log);
  asio::io_context io;
  PolicyReloader reloader(io, shared);
  reloader.reload();
  const auto good = shared.policy.load();
  ASSERT_TRUE(good);
  EXPECT_EQ(good->rule_count(), 1u);

  const std::string bad_inputs[] = {
      "{\"default\": ",                                                   // syntax
      R"({"default": "tunnel", "rules": [{"port": 80, "action": "onboard"}]})",  // no portal_listen
      "{\"default\": \"tunnel\", \"rules\": " + std::string(1'000'000, '['),  // nesting
      "{\"default\": \"tunnel\", \"x\": \"" + std::string(17u << 20, 'x') + "\"}",  // size
  };
  for (const auto& bad : bad_inputs) {
    write_file(policy_path, bad);
    reloader.reload();
    EXPECT_EQ(shared.policy.load(), good);
  }
  flow_log.stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tlsgate

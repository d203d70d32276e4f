#include "gateway/daemon/policy_reloader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/flow/decision.hpp"
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
  PolicyReloader reloader(io, shared, {});
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

// A running flow the new policy blocks is marked on its worker's thread, its
// watchdog woken, and the policy event counts it; one still allowed is kept.
TEST(PolicyReloader, ReachesRunningFlowsOnTheirWorker) {
  const auto dir = std::filesystem::temp_directory_path() / ("reloader-flows-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto policy_path = dir / "policy.json";
  write_file(policy_path, R"({"default": "intercept", "rules": [{"host": "a.example", "action": "block"}]})");
  Config config;
  config.policy_file = policy_path.string();
  log::FlowLog flow_log((dir / "flows.jsonl").string(), 1024);
  SharedState shared(config, flow_log);
  asio::io_context control;
  asio::io_context worker;
  FlowRegistry registry;

  struct RunningFlow {
    FlowRecord record;
    FlowFacts facts;
    std::unique_ptr<FlowWatch> watch;
  };
  std::vector<RunningFlow> flows(2);
  const char* const hosts[] = {"a.example", "b.example"};
  for (std::size_t i = 0; i < flows.size(); ++i) {
    RunningFlow& f = flows[i];
    f.facts.client = *IpAddress::parse("10.0.0.2");
    f.facts.server = {*IpAddress::parse("192.0.2.10"), 443};
    f.facts.kind = FlowKind::tls;
    f.facts.sni = hosts[i];
    f.record.verdict.action = FlowAction::tunnel;
    f.record.verdict.reason = EndReason::policy;
    f.watch = std::make_unique<FlowWatch>(worker.get_executor(), f.record, std::chrono::milliseconds(1000));
    f.watch->facts = &f.facts;
    registry.add(f.watch.get());
  }
  bool woken = false;
  flows[0].watch->timer.expires_after(std::chrono::hours(1));
  flows[0].watch->timer.async_wait([&](boost::system::error_code ec) { woken = ec == asio::error::operation_aborted; });

  PolicyReloader reloader(control, shared, {FlowSource{&worker, &registry}});
  reloader.reload();
  for (int i = 0; i < 10; ++i) {  // control posts to the worker, which answers back
    control.poll();
    worker.poll();
  }
  ASSERT_TRUE(flows[0].watch->refused_by_reload);
  EXPECT_NE(flows[0].watch->refused_by_reload->find("blocked by policy rule rules[0]"), std::string::npos)
      << *flows[0].watch->refused_by_reload;
  EXPECT_TRUE(woken);
  EXPECT_FALSE(flows[1].watch->refused_by_reload);

  flow_log.stop();
  std::ifstream in(dir / "flows.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto event = nlohmann::json::parse(line);
  EXPECT_EQ(event["event"], "policy");
  EXPECT_EQ(event["closed_flows"], 1);
  for (auto& f : flows) registry.remove(f.watch.get());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tlsgate

// Policy scale: 100,000 host rules must load well under a second and decide in
// microseconds. Run: ./build/tests/policy_bench
#include <benchmark/benchmark.h>

#include <string>

#include "gateway/policy/lint.hpp"
#include "gateway/policy/policy.hpp"

namespace {

using tlsgate::IpAddress;
using tlsgate::policy::Policy;
using tlsgate::policy::Query;

constexpr int rule_count = 100'000;

// A few host-less client rules first (they are checked on every decision), then
// 100,000 one-host rules, half exact names and half wildcards.
const std::string& big_policy() {
  static const std::string text = [] {
    std::string t = R"({"default": "intercept", "rules": [
      {"client": "10.200.0.0/16", "action": "tunnel"},
      {"client": "fd00:200::/32", "port": 8443, "action": "tunnel"},)";
    for (int i = 0; i < rule_count; ++i) {
      const std::string host = i % 2 == 0 ? "host" + std::to_string(i) + ".example.com"
                                          : "*.zone" + std::to_string(i) + ".example.net";
      t += (i ? "," : "") + std::string(R"({"host": ")") + host + R"(", "action": ")" +
           (i % 3 == 0 ? "block" : "tunnel") + R"("})";
    }
    return t + "]}";
  }();
  return text;
}

const Policy& loaded() {
  static const Policy policy = Policy::parse(big_policy(), "bench");
  return policy;
}

void decide(benchmark::State& state, std::string host) {
  const Policy& policy = loaded();
  Query q;
  if (!host.empty()) q.hosts = {host};
  q.client = IpAddress::parse("10.1.2.3");
  q.port = 443;
  for (auto _ : state) benchmark::DoNotOptimize(policy.match(q));
}

void BM_Load100k(benchmark::State& state) {
  const std::string& text = big_policy();
  for (auto _ : state) benchmark::DoNotOptimize(Policy::parse(text, "bench"));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Load100k)->Unit(benchmark::kMillisecond);

void BM_Lint100k(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(tlsgate::policy::lint(big_policy(), "bench"));
}
BENCHMARK(BM_Lint100k)->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(decide, exact_hit, std::string("host50000.example.com"));
BENCHMARK_CAPTURE(decide, wildcard_hit_deep, std::string("a.b.c.zone50001.example.net"));
BENCHMARK_CAPTURE(decide, miss, std::string("www.unknown-site.example.org"));
BENCHMARK_CAPTURE(decide, no_host, std::string());

void BM_HostCanMatter(benchmark::State& state) {
  const Policy& policy = loaded();
  Query q;
  q.client = IpAddress::parse("10.1.2.3");
  q.port = 443;
  for (auto _ : state) benchmark::DoNotOptimize(policy.host_can_matter(q));
}
BENCHMARK(BM_HostCanMatter);

}  // namespace

#include "gateway/policy/host_index.hpp"

#include "gateway/policy/host_pattern.hpp"

namespace tlsgate::policy {

void HostIndex::add_to(Map& map, const std::string& key, std::uint32_t rule) {
  auto& rules = map[key];
  if (rules.empty() || rules.back() != rule) rules.push_back(rule);
}

void HostIndex::add(const HostPattern& pattern, std::uint32_t rule) {
  if (pattern.kind == HostPattern::Kind::exact) add_to(exact_, pattern.name, rule);
  if (pattern.kind == HostPattern::Kind::wildcard) add_to(wildcard_, pattern.name, rule);
}

}  // namespace tlsgate::policy

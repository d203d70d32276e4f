#pragma once
// JSON -> rules, collecting every problem instead of stopping at the first, so
// that Policy::parse and lint share one reader. Internal to gateway/policy.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/policy/finding.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate::policy {

struct ParsedPolicy {
  Action default_action = Action::intercept;
  // In file order, so that rule numbers stay file positions; nullopt for a rule with errors.
  std::vector<std::optional<Rule>> rules;
  std::vector<LintFinding> errors;     // the policy is unusable when not empty
  std::vector<LintFinding> warnings;   // host patterns that can never match, what host lists skipped
  std::vector<ClientGroup> groups;     // "groups", in name order
};

// Reads a host list file (read_host_list; tests and fuzzers pass their own).
// Throws PolicyError naming the file, and the line where one applies.
using HostListLoader = std::function<HostList(const std::string& path, HostListLimits limits)>;

// A policy bigger or deeper than this is refused with one error (a real one
// is a few KB; the size leaves room for 100,000 generated rules, and it
// is at most 4 levels deep: rules[i].host[j]).
constexpr std::size_t max_policy_file_bytes = 16u << 20;
constexpr std::size_t max_policy_depth = 8;
// Names in all of a policy's host lists together (each costs about 40 bytes).
constexpr std::size_t max_policy_list_names = 5'000'000;

// Host list paths are read relative to `source`'s directory.
ParsedPolicy parse_policy(const std::string& json_text, const std::string& source);
ParsedPolicy parse_policy(const std::string& json_text, const std::string& source, const HostListLoader& load);

// The error's location: "FILE: rules[2].host[0]" (see LintFinding::where).
std::string where(const std::string& source, const std::string& json_path);

}  // namespace tlsgate::policy

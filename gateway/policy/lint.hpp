#pragma once
// `tlsgate policy lint`: everything that stops a policy from loading (errors),
// plus rules and entries that can never decide anything (warnings).
#include <string>
#include <vector>

#include "gateway/policy/finding.hpp"

namespace tlsgate::policy {

// Errors come first (object keys in sorted order, as nlohmann::json keeps them),
// then warnings: host patterns that can never match; host entries already
// decided by an earlier rule whose client/server/port matchers are the same or
// broader (duplicates); and rules that can never decide (unreachable): shadowed
// by one earlier host-less rule, or every host decided by earlier rules. Address
// matchers are compared rule against rule: a client list split over several
// earlier rules does not count as covered. Host lists: what reading skipped,
// lists empty after parsing, a list with the same entries as an earlier one;
// and groups no rule uses. List entries are not compared with host patterns.
// Request rules (path, method, scheme) are covered only by rules whose request
// matchers match every request theirs do; one shadowed by a rule that tunnels
// or blocks its flows is said to never see a request.
std::vector<LintFinding> lint(const std::string& json_text, const std::string& source);

}  // namespace tlsgate::policy

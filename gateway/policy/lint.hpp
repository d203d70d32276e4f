#pragma once
// `tlsgate policy lint`: everything that stops a policy from loading (errors),
// plus rules and entries that can never decide anything (warnings).
#include <string>
#include <vector>

namespace tlsgate::policy {

struct LintFinding {
  enum class Severity { error, warning } severity = Severity::error;
  std::string where;    // "FILE: rules[3].host[1]", or "FILE:12:5" for JSON syntax
  std::string message;  // what is wrong, and for warnings why it does not matter
};

// Errors first come in document order, then warnings: patterns that can never
// match, host entries already covered by an earlier rule with the same or
// broader client/server/port matchers (duplicates), and whole rules shadowed
// that way (unreachable). Shadowing is checked rule against rule: a rule hidden
// only by the union of several earlier rules is not reported.
std::vector<LintFinding> lint(const std::string& json_text, const std::string& source);

}  // namespace tlsgate::policy

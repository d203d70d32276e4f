#pragma once
// One problem found in a policy file, shared by the reader (policy_parse) and
// `tlsgate policy lint`.
#include <string>

namespace tlsgate::policy {

struct LintFinding {
  enum class Severity { error, warning } severity = Severity::error;
  std::string where;    // "FILE: rules[3].host[1]", or "FILE:12:5" for JSON syntax
  std::string message;  // what is wrong, and for warnings why it does not matter
};

}  // namespace tlsgate::policy

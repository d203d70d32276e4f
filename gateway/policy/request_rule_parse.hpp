#pragma once
// The keys of request rules and header edits (path, method, scheme,
// set_request_header, remove_request_header), read into a Rule for
// policy_parse. Internal to gateway/policy.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/policy/policy.hpp"

namespace tlsgate::policy {

// Reports one problem at a JSON path ("rules[2].path[1]").
using ReportError = std::function<void(const std::string& path, const std::string& message)>;

// A single value or an array of them: calls `item(value, path)` for each and
// is true when every call was. An empty array is an error: a matcher that
// matches nothing is a mistake.
template <class F>
bool each_listed(const nlohmann::json& v, const std::string& path, const ReportError& error, F&& item) {
  if (!v.is_array()) return item(v, path);
  if (v.empty()) {
    error(path, "must not be an empty list (leave the key out to match anything)");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < v.size(); ++i) ok = item(v[i], path + "[" + std::to_string(i) + "]") && ok;
  return ok;
}

// Reads `key` of a rule at `path` into `rule`: true when read, false after
// reporting its problems, nullopt when `key` is not one of these keys.
std::optional<bool> read_request_key(const std::string& key, const nlohmann::json& value, const std::string& path,
                                     Rule& rule, const ReportError& error);

// What a rule that decides requests may say, checked once the rule `v` at
// `path` was read (`allow`: its action was written "allow"); false after
// reporting what does not fit.
bool request_rule_fits(const nlohmann::json& v, const std::string& path, const Rule& rule, bool allow,
                       const ReportError& error);

}  // namespace tlsgate::policy

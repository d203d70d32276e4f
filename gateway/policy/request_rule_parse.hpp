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

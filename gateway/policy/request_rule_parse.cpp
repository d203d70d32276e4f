#include "gateway/policy/request_rule_parse.hpp"

#include "gateway/http/header_edit.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace tlsgate::policy {
namespace {

using nlohmann::json;

class RequestKeys {
 public:
  explicit RequestKeys(const ReportError& error) : error_(error) {}

  // The keys of request rules and header edits; nullopt when `key` is none of them.
  std::optional<bool> read(const std::string& key, const json& value, const std::string& p, Rule& r) {
    if (key == "path")
      return each(value, p, [&](const json& x, const std::string& xp) { return path_matcher(x, xp, r); });
    if (key == "method")
      return each(value, p, [&](const json& x, const std::string& xp) { return method(x, xp, r); });
    if (key == "scheme")
      return each(value, p, [&](const json& x, const std::string& xp) { return scheme(x, xp, r); });
    if (key == "set_request_header") return set_headers(value, p, r);
    if (key == "remove_request_header")
      return each(value, p, [&](const json& x, const std::string& xp) { return remove_header(x, xp, r); });
    return std::nullopt;
  }

  bool path_matcher(const json& v, const std::string& path, Rule& rule) {
    std::string why;
    std::optional<PathMatcher> m;
    if (v.is_string()) {
      m = PathMatcher::parse(v.get_ref<const std::string&>(), why);
    } else if (v.is_object() && v.size() == 1 && v.contains("regex") && v["regex"].is_string()) {
      m = PathMatcher::parse_regex(v["regex"].get_ref<const std::string&>(), why);
    } else {
      why = "must be a path (\"/a/b\", \"/upload/*\") or {\"regex\": \"...\"}";
    }
    if (!m) {
      error(path, why);
      return false;
    }
    rule.request.paths.push_back(std::move(*m));
    return true;
  }

  bool method(const json& v, const std::string& path, Rule& rule) {
    if (!v.is_string() || !is_method_name(v.get_ref<const std::string&>())) {
      error(path, "must be an HTTP method in capitals, like \"GET\" or \"POST\" (methods are case-sensitive)");
      return false;
    }
    rule.request.methods.push_back(v.get<std::string>());
    return true;
  }

  bool scheme(const json& v, const std::string& path, Rule& rule) {
    if (!v.is_string() || (v != "http" && v != "https")) {
      error(path, "must be \"http\" (HTTP ports) or \"https\" (intercepted TLS)");
      return false;
    }
    rule.request.schemes.push_back(v.get<std::string>());
    return true;
  }

  bool set_headers(const json& v, const std::string& path, Rule& rule) {
    if (!v.is_object() || v.empty()) {
      error(path, "must be an object of header names and values, like {\"YouTube-Restrict\": \"Strict\"}");
      return false;
    }
    bool ok = true;
    for (const auto& [name, value] : v.items()) {
      const std::string p = path + "." + name;
      std::optional<std::string> problem;
      if (!value.is_string()) problem = "must be a string";
      if (!problem && edits_header(rule, name)) problem = "is already edited by this rule";
      if (!problem) problem = edit_problem({HeaderEdit::Kind::set, name, value.get<std::string>()});
      if (problem) {
        error(p, *problem);
        ok = false;
        continue;
      }
      rule.header_edits.push_back({HeaderEdit::Kind::set, name, value.get<std::string>()});
    }
    return ok;
  }

  bool remove_header(const json& v, const std::string& path, Rule& rule) {
    auto problem = v.is_string() ? std::optional<std::string>() : std::optional<std::string>("must be a header name");
    if (!problem && edits_header(rule, v.get_ref<const std::string&>())) problem = "is already edited by this rule";
    if (!problem) problem = edit_problem({HeaderEdit::Kind::remove, v.get<std::string>(), {}});
    if (problem) {
      error(path, *problem);
      return false;
    }
    // Removals go first, so that a set of the same rule is never undone by them.
    const auto first_set = std::find_if(rule.header_edits.begin(), rule.header_edits.end(),
                                        [](const HeaderEdit& e) { return e.kind == HeaderEdit::Kind::set; });
    rule.header_edits.insert(first_set, {HeaderEdit::Kind::remove, v.get<std::string>(), {}});
    return true;
  }

  // The gates' own check (http/header_edit.hpp): a rule that loads is one they apply.
  static std::optional<std::string> edit_problem(const HeaderEdit& edit) {
    if (edit.value.size() > max_header_value_bytes)
      return "the value must be at most " + std::to_string(max_header_value_bytes) + " bytes";
    return http::header_edit_error(edit);
  }

  static bool edits_header(const Rule& rule, std::string_view name) {
    return std::any_of(rule.header_edits.begin(), rule.header_edits.end(), [&](const HeaderEdit& e) {
      return e.name.size() == name.size() && std::equal(name.begin(), name.end(), e.name.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
             });
    });
  }

 private:
  void error(const std::string& path, const std::string& message) const { error_(path, message); }

  template <class F>
  bool each(const json& v, const std::string& path, F&& item) {
    return each_listed(v, path, error_, std::forward<F>(item));
  }

  const ReportError& error_;
};

}  // namespace

std::optional<bool> read_request_key(const std::string& key, const json& value, const std::string& path, Rule& rule,
                                     const ReportError& error) {
  return RequestKeys(error).read(key, value, path, rule);
}

// What a rule that decides requests may say: a request cannot be tunnelled;
// flow settings belong to the rule that decides the handshake; edits apply
// to a request that goes upstream.
bool request_rule_fits(const json& v, const std::string& path, const Rule& r, bool allow, const ReportError& error) {
  bool ok = true;
  if (r.is_request_rule() && r.action == Action::tunnel) {
    error(path + ".action", "a request cannot be tunnelled: a request rule's action is allow, block or onboard");
    ok = false;
  }
  for (const char* key : {"capture", "learn_bypass"})
    if (r.is_request_rule() && v.contains(key)) {
      error(path + "." + key, "is a setting of the whole flow: a request rule (path, method, scheme) cannot have it");
      ok = false;
    }
  if (!r.header_edits.empty() && (r.action == Action::tunnel || r.action == Action::block)) {
    error(path + ".action", "header edits apply to requests that go upstream: the action must be allow, "
                            "intercept or onboard");
    ok = false;
  }
  if (allow && !r.decides_requests()) {
    error(path + ".action", "\"allow\" is for rules that decide requests (path, method, scheme or header edits); "
                            "write \"intercept\" for a whole flow");
    ok = false;
  }
  return ok;
}

}  // namespace tlsgate::policy

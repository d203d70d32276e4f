#include "gateway/policy/policy_parse.hpp"

#include "gateway/icap/scan_config.hpp"
#include "gateway/json_limits.hpp"
#include "gateway/policy/json_duplicate_keys.hpp"
#include "gateway/policy/request_rule_parse.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>
#include <nlohmann/json.hpp>

namespace tlsgate::policy {
namespace {

using nlohmann::json;

// 1-based line and column of byte offset `byte` (nlohmann's parse_error::byte
// is the 1-based position of the last character read).
std::string line_column(const std::string& text, std::size_t byte) {
  const std::size_t pos = std::min(byte > 0 ? byte - 1 : 0, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> "syntax error ..."
std::string syntax_detail(const std::string& what) {
  auto pos = what.find("column ");
  pos = what.find(": ", pos == std::string::npos ? 0 : pos);
  return pos == std::string::npos ? what : what.substr(pos + 2);
}

class Reader {
 public:
  Reader(const std::string& source, const HostListLoader& load, ParsedPolicy& out)
      : source_(source), load_(load), out_(out),
        report_([this](const std::string& path, const std::string& message) { error(path, message); }) {}

  void error(const std::string& path, const std::string& message) {
    out_.errors.push_back({LintFinding::Severity::error, where(source_, path), message});
  }
  void warning(const std::string& path, const std::string& message) {
    out_.warnings.push_back({LintFinding::Severity::warning, where(source_, path), message});
  }

  template <class F>
  bool each(const json& v, const std::string& path, F&& item) {
    return each_listed(v, path, report_, std::forward<F>(item));
  }

  bool host(const json& v, const std::string& path, Rule& rule) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      error(path, "must be a non-empty host name string, like \"www.example.com\" or \"*.example.com\"");
      return false;
    }
    auto pattern = HostPattern::parse(v.get_ref<const std::string&>());
    if (pattern.kind == HostPattern::Kind::never)
      out_.warnings.push_back({LintFinding::Severity::warning, where(source_, path),
                               "\"" + v.get<std::string>() + "\" can never match: " + pattern.why});
    rule.hosts.push_back(std::move(pattern));
    return true;
  }

  bool cidr(const json& v, const std::string& path, std::vector<Cidr>& out) {
    const auto c = v.is_string() ? Cidr::parse(v.get_ref<const std::string&>()) : std::nullopt;
    if (!c) {
      error(path, "must be an IPv4 or IPv6 address or CIDR without host bits, like \"10.0.0.0/8\" or \"fd00::/8\"");
      return false;
    }
    out.push_back(*c);
    return true;
  }

  bool port(const json& v, const std::string& path, std::vector<PortRange>& out) {
    const auto range = port_range(v);
    if (!range) {
      error(path, "must be a port (1-65535) or a range string like \"8000-8999\" (low to high)");
      return false;
    }
    out.push_back(*range);
    return true;
  }

  bool host_list(const json& v, const std::string& path, Rule& rule) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      error(path, "must be the path of a host list file (relative paths start at the policy file's directory)");
      return false;
    }
    const std::string file = list_path(v.get_ref<const std::string&>());
    try {
      HostList list = load_(file, HostListLimits{.max_names = list_names_left_});
      list_names_left_ -= list.stats.names;
      list_findings(path, list);
      rule.host_lists.push_back(std::move(list));
      return true;
    } catch (const PolicyError& e) {
      error(path, e.what());
      return false;
    }
  }

  // The groups, before any rule names one.
  void groups(const json& v) {
    if (!v.is_object()) return error("groups", "must be an object of named groups, like {\"kids\": {\"clients\": [...]}}");
    for (const auto& [name, g] : v.items()) {
      const std::string path = "groups." + name;
      if (!g.is_object() || g.empty()) {
        error(path, "must be an object with \"clients\" (addresses or CIDRs) and/or \"macs\"");
        continue;
      }
      ClientGroup group{name, {}, {}};
      bool ok = true;
      for (const auto& [key, value] : g.items()) {
        const std::string p = path + "." + key;
        if (key == "clients")
          ok = each(value, p, [&](const json& x, const std::string& xp) { return cidr(x, xp, group.clients); }) && ok;
        else if (key == "macs")
          ok = each(value, p, [&](const json& x, const std::string& xp) { return mac(x, xp, group.macs); }) && ok;
        else {
          error(p, "unknown key (known: clients, macs)");
          ok = false;
        }
      }
      if (ok) out_.groups.push_back(std::move(group));
      else known_groups_.push_back(name);  // named by rules without a second error
    }
  }

  bool client_group(const json& v, const std::string& path, Rule& rule) {
    if (!v.is_string()) {
      error(path, "must be the name of a group in \"groups\"");
      return false;
    }
    const auto& name = v.get_ref<const std::string&>();
    for (const auto& g : out_.groups) {
      if (g.name != name) continue;
      rule.groups.push_back(g);
      return true;
    }
    if (std::find(known_groups_.begin(), known_groups_.end(), name) == known_groups_.end()) {
      std::string known;
      for (const auto& g : out_.groups) known += (known.empty() ? "" : ", ") + g.name;
      error(path, "no group \"" + name + "\" in \"groups\"" + (known.empty() ? "" : " (known: " + known + ")"));
    }
    return false;
  }

  std::optional<TimeWindow> when(const json& v, const std::string& path) {
    if (!v.is_object() || v.empty()) {
      error(path, "must be an object with \"days\" and/or \"from\" and \"to\", like {\"from\": \"21:00\", \"to\": \"07:00\"}");
      return std::nullopt;
    }
    TimeWindow w;
    bool ok = true;
    for (const auto& [key, value] : v.items()) {
      const std::string p = path + "." + key;
      if (key == "days") {
        w.days = 0;
        ok = each(value, p, [&](const json& x, const std::string& xp) {
               const auto d = x.is_string() ? parse_day(x.get_ref<const std::string&>()) : std::nullopt;
               if (!d) error(xp, "must be a day: mon, tue, wed, thu, fri, sat or sun");
               else w.days |= static_cast<std::uint8_t>(1u << *d);
               return d.has_value();
             }) && ok;
      } else if (key == "from" || key == "to") {
        const auto t = value.is_string() ? parse_clock(value.get_ref<const std::string&>()) : std::nullopt;
        if (!t) error(p, "must be a local time \"HH:MM\", 00:00 to 24:00");
        else (key == "from" ? w.from : w.to) = *t;
        ok = ok && t;
      } else {
        error(p, "unknown key (known: days, from, to)");
        ok = false;
      }
    }
    if (v.contains("from") != v.contains("to")) {
      error(path, "\"from\" and \"to\" go together (leave both out for the whole day)");
      ok = false;
    } else if (ok && v.contains("from") && w.from % minutes_per_day == w.to % minutes_per_day) {
      error(path, "\"from\" and \"to\" must differ (leave both out for the whole day)");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return w;
  }

  std::optional<Action> action(const json& v, const std::string& path) {
    const auto a = v.is_string() ? parse_action(v.get_ref<const std::string&>()) : std::nullopt;
    if (!a) error(path, "must be \"intercept\", \"tunnel\", \"block\" or \"onboard\"");
    return a;
  }

  std::optional<Rule> rule(const json& v, const std::string& path) {
    if (!v.is_object()) {
      error(path, "must be an object with \"action\" and matchers (host, client, server, port)");
      return std::nullopt;
    }
    Rule r;
    bool ok = true;
    std::optional<Action> act;
    bool allow = false;  // "allow": intercept, on a rule that decides requests
    for (const auto& [key, value] : v.items()) {
      const std::string p = path + "." + key;
      if (key == "name") {
        if (!value.is_string()) error(p, "must be a string");
        else r.name = value.get<std::string>();
        ok = ok && value.is_string();
      } else if (key == "action") {
        allow = value == "allow";
        act = allow ? Action::intercept : action(value, p);
        ok = ok && act;
      } else if (key == "host") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return host(x, xp, r); }) && ok;
      } else if (key == "host_list") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return host_list(x, xp, r); }) && ok;
      } else if (key == "client") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return cidr(x, xp, r.clients); }) && ok;
      } else if (key == "client_group") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return client_group(x, xp, r); }) && ok;
      } else if (key == "when") {
        r.when = when(value, p);
        ok = ok && r.when;
      } else if (key == "server") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return cidr(x, xp, r.servers); }) && ok;
      } else if (key == "port") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return port(x, xp, r.ports); }) && ok;
      } else if (key == "capture") {
        if (!value.is_boolean()) error(p, "must be true or false");
        else r.capture = value.get<bool>();
        ok = ok && value.is_boolean();
      } else if (key == "mode") {
        ok = mode(value, p, r) && ok;
      } else if (key == "learn_bypass") {
        if (!value.is_boolean()) error(p, "must be true or false");
        else r.learn_bypass = value.get<bool>();
        ok = ok && value.is_boolean();
      } else if (key == "scan") {
        ok = scan(value, path, r) && ok;
      } else if (const auto read = read_request_key(key, value, p, r, report_)) {
        ok = *read && ok;
      } else {
        error(p, "unknown key (known: name, host, host_list, client, client_group, server, port, when, path, method, "
                 "scheme, action, set_request_header, remove_request_header, capture, learn_bypass, mode, scan)");
        ok = false;
      }
    }
    if (!v.contains("action")) {
      error(path, "\"action\" is required");
      ok = false;
    }
    if (ok && r.mode == RuleMode::log && *act != Action::block) {
      error(path + ".mode", "\"log\" is for block rules (it logs would_block); this rule's action is \"" +
                                std::string(to_string(*act)) + "\"");
      ok = false;
    }
    if (!ok) return std::nullopt;
    r.action = *act;
    if (r.scan && r.action != Action::intercept && r.action != Action::onboard) {
      error(path + ".scan", "needs action \"intercept\" (only decrypted traffic can be scanned)");
      return std::nullopt;
    }
    if (!request_rule_fits(v, path, r, allow, report_)) return std::nullopt;
    return r;
  }

  // `"mode": "enforce"` (the default) or `"log"`.
  bool mode(const json& v, const std::string& path, Rule& rule) {
    const std::string text = v.is_string() ? v.get<std::string>() : "";
    if (text == "enforce" || text == "log") {
      rule.mode = text == "log" ? RuleMode::log : RuleMode::enforce;
      return true;
    }
    error(path, "must be \"enforce\" or \"log\" (evaluated and logged as would_block, never enforced)");
    return false;
  }

  // The rule's content scanning (gateway/icap/scan_config), its errors under the rule's path.
  bool scan(const json& v, const std::string& path, Rule& r) {
    std::string why;
    auto config = icap::parse_scan_config(v, why);
    if (!config) {
      const auto colon = why.find(": ");
      if (colon == std::string::npos) error(path + ".scan", why);
      else error(path + "." + why.substr(0, colon), why.substr(colon + 2));
      return false;
    }
    r.scan = std::make_shared<const icap::ScanConfig>(std::move(*config));
    return true;
  }

 private:
  bool mac(const json& v, const std::string& path, std::vector<MacAddress>& out) {
    const auto m = v.is_string() ? MacAddress::parse(v.get_ref<const std::string&>()) : std::nullopt;
    if (!m) {
      error(path, "must be a MAC address like \"aa:bb:cc:dd:ee:ff\"");
      return false;
    }
    out.push_back(*m);
    return true;
  }

  // A relative list path starts at the policy file's directory.
  std::string list_path(const std::string& file) const {
    const std::filesystem::path p(file);
    if (p.is_absolute()) return file;
    return (std::filesystem::path(source_).parent_path() / p).string();
  }

  // What reading the list skipped, once per kind, with the first line.
  void list_findings(const std::string& path, const HostList& list) {
    const auto& s = list.stats;
    const auto at = [&](std::size_t line) { return " (first: " + list.path + ":" + std::to_string(line) + ")"; };
    if (s.names == 0) warning(path, list.path + ": empty after parsing: the list matches nothing");
    if (s.invalid > 0)
      warning(path, list.path + ": " + std::to_string(s.invalid) + " invalid host name(s) skipped" + at(s.first_invalid));
    if (s.unsupported > 0)
      warning(path, list.path + ": " + std::to_string(s.unsupported) +
                        " line(s) in another syntax skipped (of adblock rules only \"||name^\" is read)" +
                        at(s.first_unsupported));
    if (s.long_lines > 0)
      warning(path, list.path + ": " + std::to_string(s.long_lines) + " line(s) longer than " +
                        std::to_string(HostListLimits{}.max_line_bytes) + " bytes skipped" + at(s.first_long));
  }

  static std::optional<std::uint16_t> port_number(std::string_view s) {
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || n < 1 || n > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(n);
  }

  static std::optional<PortRange> port_range(const json& v) {
    if (v.is_number_integer()) {
      const auto n = v.get<std::int64_t>();
      if (n < 1 || n > 65535) return std::nullopt;
      return PortRange{static_cast<std::uint16_t>(n), static_cast<std::uint16_t>(n)};
    }
    if (!v.is_string()) return std::nullopt;
    const std::string_view s = v.get_ref<const std::string&>();
    const auto dash = s.find('-');
    const auto first = port_number(s.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : port_number(s.substr(dash + 1));
    if (!first || !last || *first > *last) return std::nullopt;
    return PortRange{*first, *last};
  }

  const std::string& source_;
  const HostListLoader& load_;
  ParsedPolicy& out_;
  std::vector<std::string> known_groups_;  // groups with errors: already reported
  std::size_t list_names_left_ = max_policy_list_names;
  ReportError report_;  // error(), for the readers in other files
};

}  // namespace

std::string where(const std::string& source, const std::string& json_path) { return source + ": " + json_path; }

ParsedPolicy parse_policy(const std::string& json_text, const std::string& source) {
  return parse_policy(json_text, source, read_host_list);
}

ParsedPolicy parse_policy(const std::string& json_text, const std::string& source, const HostListLoader& load) {
  ParsedPolicy out;
  // Caps before any parser runs: nlohmann builds the whole tree, and deep
  // nesting costs far more memory than its bytes.
  if (json_text.size() > max_policy_file_bytes) {
    out.errors.push_back({LintFinding::Severity::error, source,
                          "the policy file is larger than " + std::to_string(max_policy_file_bytes >> 20) + " MiB"});
    return out;
  }
  if (const auto deep = json_too_deep(json_text, max_policy_depth)) {
    out.errors.push_back({LintFinding::Severity::error, source + ":" + line_column(json_text, *deep),
                          "JSON nested deeper than " + std::to_string(max_policy_depth) + " levels"});
    return out;
  }
  json doc;
  try {
    doc = json::parse(json_text);
    DuplicateKeys duplicates;
    json::sax_parse(json_text, &duplicates);
    for (const auto& path : duplicates.paths)
      out.errors.push_back({LintFinding::Severity::error, where(source, path),
                            "duplicate key: only one of them would count"});
  } catch (const json::parse_error& e) {
    out.errors.push_back({LintFinding::Severity::error, source + ":" + line_column(json_text, e.byte),
                          "JSON syntax error: " + syntax_detail(e.what())});
    return out;
  } catch (const json::exception& e) {  // a number too large for a double: out_of_range, no position
    const std::string what = e.what();
    const auto end = what.find("] ");
    out.errors.push_back({LintFinding::Severity::error, source,
                          "JSON error: " + (end == std::string::npos ? what : what.substr(end + 2))});
    return out;
  }
  Reader r(source, load, out);
  if (!doc.is_object()) {
    r.error("(top level)", "must be an object with \"default\" and \"rules\"");
    return out;
  }
  if (doc.contains("groups")) r.groups(doc["groups"]);
  for (const auto& [key, value] : doc.items()) {
    if (key == "groups") continue;
    if (key == "default") {
      if (const auto a = r.action(value, key)) out.default_action = *a;
    } else if (key == "rules") {
      if (!value.is_array()) {
        r.error(key, "must be a list of rules");
        continue;
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        out.rules.push_back(r.rule(value[i], rule_path(i)));
      }
    } else {
      r.error(key, "unknown key (known: default, groups, rules)");
    }
  }
  if (!doc.contains("default")) r.error("default", "is required: \"intercept\", \"tunnel\", \"block\" or \"onboard\"");
  return out;
}

// Policy::parse and load_file live with the reader, so the index (policy.cpp)
// does not depend on it.
Policy Policy::parse(const std::string& json_text, const std::string& source) {
  auto parsed = parse_policy(json_text, source);
  if (!parsed.errors.empty()) {
    const auto& e = parsed.errors.front();
    std::string more;
    if (parsed.errors.size() > 1)
      more = " (and " + std::to_string(parsed.errors.size() - 1) + " more; see tlsgate policy lint)";
    throw PolicyError(e.where + ": " + e.message + more);
  }
  std::vector<Rule> rules;
  rules.reserve(parsed.rules.size());
  for (auto& r : parsed.rules) rules.push_back(std::move(*r));
  return Policy(std::move(rules), parsed.default_action);
}

Policy Policy::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PolicyError(path + ": cannot open the policy file");
  // Never more than one byte past the cap: parse() then names the size problem.
  std::string text;
  char chunk[64 * 1024];
  while (text.size() <= max_policy_file_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw PolicyError(path + ": cannot read the policy file");
  return parse(text, path);
}

}  // namespace tlsgate::policy

#include "gateway/policy/lint.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "gateway/policy/policy_parse.hpp"

namespace tlsgate::policy {
namespace {

using Severity = LintFinding::Severity;

// True when every element of `inner` lies inside some element of `outer`
// (an empty list is "anything").
template <class T>
bool list_covers(const std::vector<T>& outer, const std::vector<T>& inner) {
  if (outer.empty()) return true;
  if (inner.empty()) return false;
  return std::all_of(inner.begin(), inner.end(), [&](const T& in) {
    return std::any_of(outer.begin(), outer.end(), [&](const T& out) { return out.contains(in); });
  });
}

struct PortCover {
  PortRange range;
  bool contains(const PortCover& other) const {
    return other.range.first >= range.first && other.range.last <= range.last;
  }
};

// True when rule `a` matches every client/server/port that rule `b` matches.
bool addresses_cover(const Rule& a, const Rule& b) {
  auto ports = [](const Rule& r) {
    std::vector<PortCover> out;
    for (const auto& p : r.ports) out.push_back({p});
    return out;
  };
  auto group_names = [](const Rule& r) {
    std::vector<std::string> out;
    for (const auto& g : r.groups) out.push_back(g.name);
    return out;
  };
  // Groups and windows are compared by name and value: a group is not opened up into its members.
  auto a_groups = group_names(a);
  auto b_groups = group_names(b);
  const bool groups = a_groups.empty() || (!b_groups.empty() && std::all_of(b_groups.begin(), b_groups.end(), [&](const auto& n) {
                                            return std::find(a_groups.begin(), a_groups.end(), n) != a_groups.end();
                                          }));
  const bool window = !a.when || a.when == b.when;
  return list_covers(a.clients, b.clients) && list_covers(a.servers, b.servers) && list_covers(ports(a), ports(b)) &&
         groups && window && a.request.covers(b.request);
}

// Why a request rule shadowed by rules `by` never sees a request: said when one of them tunnels or blocks the flow.
std::string request_rule_note(const std::vector<std::optional<Rule>>& rules, const Rule& shadowed,
                              const std::vector<std::size_t>& by) {
  if (!shadowed.is_request_rule()) return "";
  for (const auto i : by) {
    if (rules[i]->is_request_rule()) continue;
    if (rules[i]->action == Action::tunnel) return ": it tunnels the flow, whose requests are then never read";
    if (rules[i]->action == Action::block) return ": it blocks the flow before any request";
  }
  return "";
}

bool has_live_list(const Rule& r) {
  return std::any_of(r.host_lists.begin(), r.host_lists.end(), [](const HostList& l) { return l.stats.names > 0; });
}

std::string label(const std::vector<std::optional<Rule>>& rules, std::size_t i) {
  const auto& name = rules[i]->name;
  return name.empty() ? rule_path(i) : rule_path(i) + " (\"" + name + "\")";
}

// Proper domain suffixes of `name`: a.b.c -> b.c, c.
template <class F>
void for_each_suffix(std::string_view name, F&& f) {
  for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1))
    if (dot > 0) f(name.substr(dot + 1));
}

class Linter {
 public:
  Linter(const ParsedPolicy& parsed, const std::string& source, std::vector<LintFinding>& out)
      : rules_(parsed.rules), source_(source), out_(out) {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (!rules_[i]) continue;
      if (!rules_[i]->has_host_matcher()) hostless_.push_back(i);
      for (const auto& p : rules_[i]->hosts) index_.add(p, static_cast<std::uint32_t>(i));
    }
  }

  void check(std::size_t j) {
    const Rule& rule = *rules_[j];
    for (const auto i : hostless_) {
      if (i >= j) break;
      if (addresses_cover(*rules_[i], rule)) {
        warn(rule_path(j), "unreachable: " + label(rules_, i) + " comes first and matches everything this rule does" +
                               request_rule_note(rules_, rule, {i}));
        return;
      }
    }
    if (!rule.has_host_matcher()) return;
    if (std::none_of(rule.hosts.begin(), rule.hosts.end(),
                     [](const HostPattern& p) { return p.kind != HostPattern::Kind::never; }) &&
        !has_live_list(rule)) {
      warn(rule_path(j), rule.host_lists.empty() ? "unreachable: none of its host patterns can match"
                                                 : "unreachable: none of its host patterns or lists can match");
      return;
    }
    check_hosts(j, rule);
    check_lists(j, rule);
  }

  // A group no rule names does nothing (often a typo in a rule's client_group).
  void check_groups(const std::vector<ClientGroup>& groups) {
    for (const auto& g : groups) {
      const bool used = std::any_of(rules_.begin(), rules_.end(), [&](const std::optional<Rule>& r) {
        return r && std::any_of(r->groups.begin(), r->groups.end(), [&](const ClientGroup& x) { return x.name == g.name; });
      });
      if (!used) warn("groups." + g.name, "no rule uses this group (\"client_group\": \"" + g.name + "\")");
    }
  }

 private:
  void warn(const std::string& path, const std::string& message) {
    out_.push_back({Severity::warning, where(source_, path), message});
  }

  // The first earlier rule that decides every name `p` matches, for the same or
  // broader addresses than rule j.
  std::optional<std::size_t> earlier_cover(std::size_t j, const HostPattern& p) const {
    std::optional<std::size_t> found;
    const std::string key = p.kind == HostPattern::Kind::wildcard ? "*." + p.name : p.name;
    index_.for_each_match(key, [&](std::span<const std::uint32_t> candidates) {
      for (const auto i : candidates) {
        if (i >= j || (found && i >= *found)) break;
        if (addresses_cover(*rules_[i], *rules_[j])) found = i;
      }
    });
    return found;
  }

  // A list with the same entries as an earlier one (the same file named twice,
  // or a copy): compared by entry count and an order-independent digest.
  void check_lists(std::size_t j, const Rule& rule) {
    for (std::size_t k = 0; k < rule.host_lists.size(); ++k) {
      const HostList& list = rule.host_lists[k];
      if (list.stats.names == 0) continue;
      for (std::size_t i = 0; i <= j; ++i) {
        if (!rules_[i]) continue;
        const auto& others = rules_[i]->host_lists;
        const std::size_t end = i == j ? k : others.size();
        for (std::size_t m = 0; m < end; ++m) {
          if (others[m].digest != list.digest || others[m].stats.names != list.stats.names) continue;
          warn(rule_path(j) + ".host_list[" + std::to_string(k) + "]",
               "duplicate list: " + list.path + " has the same entries as " + others[m].path + " (" + label(rules_, i) +
                   ".host_list[" + std::to_string(m) + "])");
          return;
        }
      }
    }
  }

  void check_hosts(std::size_t j, const Rule& rule) {
    // Duplicates inside the rule: first position of each exact name and wildcard suffix.
    std::unordered_map<std::string_view, std::size_t> exact;
    std::unordered_map<std::string_view, std::size_t> wildcard;
    for (std::size_t k = 0; k < rule.hosts.size(); ++k) {
      const auto& p = rule.hosts[k];
      if (p.kind == HostPattern::Kind::exact) exact.try_emplace(p.name, k);
      if (p.kind == HostPattern::Kind::wildcard) wildcard.try_emplace(p.name, k);
    }
    std::vector<std::size_t> shadowers;
    bool all_covered = true;
    std::vector<std::pair<std::size_t, std::string>> covered;  // host position, message
    for (std::size_t k = 0; k < rule.hosts.size(); ++k) {
      const auto& p = rule.hosts[k];
      if (p.kind == HostPattern::Kind::never) continue;
      const auto host_path = rule_path(j) + ".host[" + std::to_string(k) + "]";
      const auto& same = p.kind == HostPattern::Kind::exact ? exact : wildcard;
      std::optional<std::size_t> inside;
      if (same.at(p.name) != k) inside = same.at(p.name);
      for_each_suffix(p.name, [&](std::string_view s) {
        if (const auto it = wildcard.find(s); !inside && it != wildcard.end()) inside = it->second;
      });
      if (inside) {
        warn(host_path, "duplicate host: \"" + p.to_string() + "\" is already matched by host[" +
                            std::to_string(*inside) + "] of this rule");
        continue;
      }
      if (const auto i = earlier_cover(j, p)) {
        shadowers.push_back(*i);
        covered.emplace_back(k, "duplicate host: \"" + p.to_string() + "\" is already decided by " +
                                    label(rules_, *i) + " for the same or more clients, servers and ports");
      } else {
        all_covered = false;
      }
    }
    if (all_covered && !shadowers.empty() && !has_live_list(rule)) {
      std::sort(shadowers.begin(), shadowers.end());
      shadowers.erase(std::unique(shadowers.begin(), shadowers.end()), shadowers.end());
      std::string by;
      for (const auto i : shadowers) by += (by.empty() ? "" : ", ") + label(rules_, i);
      warn(rule_path(j), "unreachable: every host it names is decided first by " + by +
                             request_rule_note(rules_, rule, shadowers));
      return;
    }
    for (const auto& [k, message] : covered) warn(rule_path(j) + ".host[" + std::to_string(k) + "]", message);
  }

  const std::vector<std::optional<Rule>>& rules_;
  const std::string& source_;
  std::vector<LintFinding>& out_;
  HostIndex index_;
  std::vector<std::size_t> hostless_;
};

}  // namespace

std::vector<LintFinding> lint(const std::string& json_text, const std::string& source) {
  const auto parsed = parse_policy(json_text, source);
  std::vector<LintFinding> out = parsed.errors;
  out.insert(out.end(), parsed.warnings.begin(), parsed.warnings.end());
  Linter linter(parsed, source, out);
  for (std::size_t j = 0; j < parsed.rules.size(); ++j)
    if (parsed.rules[j]) linter.check(j);
  linter.check_groups(parsed.groups);
  return out;
}

}  // namespace tlsgate::policy

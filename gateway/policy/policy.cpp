#include "gateway/policy/policy.hpp"

#include <algorithm>
#include <limits>

namespace tlsgate::policy {
namespace {

constexpr std::size_t no_rule = std::numeric_limits<std::size_t>::max();

template <class Matcher, class Value>
bool any_matches(const std::vector<Matcher>& matchers, const std::optional<Value>& value) {
  if (matchers.empty()) return true;
  if (!value) return false;  // a matcher on an unknown value does not match
  return std::any_of(matchers.begin(), matchers.end(), [&](const Matcher& m) { return m.contains(*value); });
}

// What an action does to a whole flow: onboard intercepts it.
Action flow_action(Action a) { return a == Action::onboard ? Action::intercept : a; }

bool has_live_host(const Rule& r) {
  return std::any_of(r.hosts.begin(), r.hosts.end(),
                     [](const HostPattern& p) { return p.kind != HostPattern::Kind::never; }) ||
         std::any_of(r.host_lists.begin(), r.host_lists.end(), [](const HostList& l) { return l.stats.names > 0; });
}

bool in_any_group(const std::vector<ClientGroup>& groups, const Query& q) {
  if (groups.empty()) return true;
  return std::any_of(groups.begin(), groups.end(),
                     [&](const ClientGroup& g) { return g.contains(q.client, q.client_mac); });
}

bool in_window(const std::optional<TimeWindow>& when, const Query& q) {
  if (!when) return true;
  return q.local_time && when->contains(*q.local_time);
}

// Moves the list entries of rule `index` into the index.
std::size_t index_lists(HostIndex& index, std::vector<HostList>& lists, std::uint32_t rule) {
  std::size_t names = 0;
  for (auto& list : lists) {
    list.for_each([&](ListEntryKind kind, std::string_view name) {
      switch (kind) {
        case ListEntryKind::exact: index.add_exact(name, rule); break;
        case ListEntryKind::wildcard: index.add_wildcard(name, rule); break;
        case ListEntryKind::domain: index.add_domain(name, rule); break;
      }
    });
    names += list.stats.names;
    list.entries = std::string();
  }
  return names;
}

}  // namespace

std::string_view to_string(Action action) {
  switch (action) {
    case Action::intercept: return "intercept";
    case Action::tunnel: return "tunnel";
    case Action::block: return "block";
    case Action::onboard: return "onboard";
  }
  return "intercept";
}

std::optional<Action> parse_action(std::string_view text) {
  for (const auto a : {Action::intercept, Action::tunnel, Action::block, Action::onboard})
    if (text == to_string(a)) return a;
  return std::nullopt;
}

std::string rule_path(std::size_t index) { return "rules[" + std::to_string(index) + "]"; }

bool Rule::matches_addresses(const Query& q) const {
  return any_matches(clients, q.client) && any_matches(servers, q.server) && any_matches(ports, q.port) &&
         in_any_group(groups, q) && in_window(when, q);
}

Policy::Policy(std::vector<Rule> rules, Action default_action)
    : rules_(std::move(rules)), default_action_(default_action) {
  first_unconditional_host_rule_.fill(no_rule);
  // Room for every name up front: growing a table of millions costs time and a second copy.
  std::size_t exact = 0;
  std::size_t wildcard = 0;
  std::size_t domain = 0;
  for (const Rule& r : rules_) {
    exact += r.hosts.size();
    wildcard += r.hosts.size();
    for (const auto& l : r.host_lists) {
      exact += l.count[0];
      wildcard += l.count[1];
      domain += l.count[2];
    }
  }
  index_.reserve(exact, wildcard, domain);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    Rule& r = rules_[i];
    const auto index = static_cast<std::uint32_t>(i);
    for (const auto& g : r.groups) uses_macs_ = uses_macs_ || !g.macs.empty();
    if (r.decides_requests() && (!r.has_host_matcher() || has_live_host(r))) request_rules_.push_back(index);
    if (!r.has_host_matcher()) {
      hostless_.push_back(index);
      continue;
    }
    for (const auto& p : r.hosts) index_.add(p, index);
    list_names_ += index_lists(index_, r.host_lists, index);
    if (!has_live_host(r)) continue;  // can never match: ignore for host_can_matter too
    if (r.is_request_rule()) continue;  // never decides a handshake: request_rules_ covers it
    if (r.action == Action::onboard) onboard_host_rules_.push_back(index);
    if (r.has_address_matchers()) {
      conditional_host_rules_.push_back(index);
    } else {
      auto& first = first_unconditional_host_rule_[static_cast<std::size_t>(flow_action(r.action))];
      first = std::min(first, i);
    }
  }
  index_.shrink_to_fit();
}

Policy Policy::allow_all(Action default_action) { return Policy({}, default_action); }

Decision Policy::decision_for(std::size_t index) const {
  if (index == no_rule) return {default_action_, "default", std::nullopt, std::nullopt};
  const Rule& r = rules_[index];
  return {r.action, r.name.empty() ? rule_path(index) : r.name, index, r.capture, r.learn_bypass};
}

Decision Policy::match(const Query& q) const {
  // Rule order must win over index order: take the lowest-numbered rule that
  // matches among the host-less rules and every rule the host index offers.
  std::size_t best = no_rule;
  for (const auto i : hostless_) {
    if (i >= best) break;
    if (matches(i, q)) {
      best = i;
      break;
    }
  }
  for (const auto& host : q.hosts) {
    if (host.empty()) continue;
    const std::string name = normalize_host(host);
    index_.for_each_match(name, [&](std::span<const std::uint32_t> candidates) {
      for (const auto i : candidates) {
        if (i >= best) break;
        if (matches(i, q)) {
          best = i;
          break;
        }
      }
    });
  }
  return decision_for(best);
}

std::size_t Policy::first_hostless_match(const Query& q) const {
  for (const auto i : hostless_)
    if (matches(i, q)) return i;
  return no_rule;
}

bool Policy::matches(std::size_t index, const Query& q) const {
  const Rule& r = rules_[index];
  if (!r.matches_addresses(q)) return false;
  return !r.is_request_rule() || (q.request && r.request.matches(*q.request));
}

bool Policy::host_can_matter(const Query& q) const {
  // What the flow gets without a host: the first matching host-less rule, or the default.
  const std::size_t fallback = first_hostless_match(q);
  const Action fallback_action = flow_action(fallback == no_rule ? default_action_ : rules_[fallback].action);
  // A host rule before it with another action could change the outcome.
  for (const auto a : {Action::intercept, Action::tunnel, Action::block})
    if (a != fallback_action && first_unconditional_host_rule_[static_cast<std::size_t>(a)] < fallback) return true;
  for (const auto i : conditional_host_rules_) {
    if (i >= fallback) break;
    if (flow_action(rules_[i].action) != fallback_action && rules_[i].matches_addresses(q)) return true;
  }
  for (const auto i : request_rules_) {
    if (i >= fallback) break;
    if (rules_[i].matches_addresses(q)) return true;
  }
  return false;
}

bool Policy::requests_can_matter(const Query& q, const Decision& handshake) const {
  const std::size_t bound = handshake.rule_index.value_or(no_rule);
  for (const auto i : request_rules_) {
    if (i >= bound) break;
    if (!rules_[i].has_host_matcher() && rules_[i].matches_addresses(q)) return true;
  }
  bool found = false;
  for (const auto& host : q.hosts) {
    if (host.empty() || found) continue;
    index_.for_each_match(normalize_host(host), [&](std::span<const std::uint32_t> candidates) {
      for (const auto i : candidates) {
        if (i >= bound || found) break;
        found = rules_[i].decides_requests() && rules_[i].matches_addresses(q);
      }
    });
  }
  return found;
}

bool Policy::onboard_can_matter(const Query& q) const {
  const std::size_t fallback = first_hostless_match(q);
  if ((fallback == no_rule ? default_action_ : rules_[fallback].action) == Action::onboard) return true;
  for (const auto i : onboard_host_rules_) {
    if (i >= fallback) break;
    if (rules_[i].matches_addresses(q)) return true;
  }
  return false;
}

std::optional<std::string> Policy::first_onboard() const {
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (rules_[i].action == Action::onboard) return rule_path(i);
  if (default_action_ == Action::onboard) return "default";
  return std::nullopt;
}

}  // namespace tlsgate::policy

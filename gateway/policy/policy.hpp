#pragma once
// The policy: an ordered list of rules (first match wins) and a default action,
// read from JSON (docs/policy.md). A Policy is immutable once built; match() is
// pure and safe to call from any number of threads. Host rules are indexed, so
// a decision costs a few hash lookups per host label, whatever the rule count.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/icap/scan_config.hpp"
#include "gateway/ip_address.hpp"
#include "gateway/policy/cidr.hpp"
#include "gateway/policy/client_group.hpp"
#include "gateway/policy/host_index.hpp"
#include "gateway/policy/host_list.hpp"
#include "gateway/policy/host_pattern.hpp"
#include "gateway/policy/mac_address.hpp"
#include "gateway/policy/request_matcher.hpp"
#include "gateway/policy/time_window.hpp"

namespace tlsgate::policy {

// onboard: intercept on TLS ports; on HTTP ports a request from a client the
// gateway CA is not known to work for is sent to the CA onboarding portal.
enum class Action { intercept, tunnel, block, onboard };
std::string_view to_string(Action action);
std::optional<Action> parse_action(std::string_view text);

struct Query {
  std::vector<std::string> hosts;  // the SNI, or the upstream certificate's names; empty = unknown host
  std::optional<IpAddress> client;
  std::optional<IpAddress> server;
  std::optional<std::uint16_t> port;  // the server (original destination) port
  // The client's MAC address from the neighbour table (the caller looks it up,
  // only when uses_macs()); unset: groups match it by address only.
  std::optional<MacAddress> client_mac;
  // The local time; unset: rules with `when` do not match.
  std::optional<MinuteOfWeek> local_time;
  // An HTTP request's path, method and scheme; unset (a handshake): request rules do not match.
  std::optional<RequestFields> request;
};

struct Decision {
  Action action = Action::intercept;
  std::string rule;  // the rule's name, "rules[i]" when it has none, or "default"
  std::optional<std::size_t> rule_index;
  std::optional<bool> capture;  // the rule's `capture`: write the flow to pcap (unset: the config's default)
  bool learn_bypass = true;     // false: its hosts stay inspected, whatever the learned-bypass table says
  std::shared_ptr<const icap::ScanConfig> scan{};  // the rule's `scan`: bodies go to an ICAP service; null: none
  // The first `"mode": "log"` rule (named like `rule`) that matched before the
  // deciding rule: it would have blocked. Unset when the decision is a block.
  std::optional<std::string> would_block{};
};

// `"mode"` of a rule: enforced, or only logged (a block rule watched before it is turned on).
enum class RuleMode { enforce, log };

// A policy file that cannot be used. what(): "FILE: rules[2].host[0]: what is wrong"
// or, for bad JSON, "FILE:12:5: JSON syntax error: ...".
struct PolicyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  bool contains(std::uint16_t port) const { return port >= first && port <= last; }
  auto operator<=>(const PortRange&) const = default;
};

// One rule; an empty matcher list means "any". All given matchers must match.
struct Rule {
  std::string name;  // may be empty
  Action action = Action::intercept;
  std::vector<HostPattern> hosts;
  // `host_list`: a host matches when `hosts` or any list has it. Policy's
  // constructor moves the entries into its index and keeps path and stats.
  std::vector<HostList> host_lists;
  std::vector<Cidr> clients;
  std::vector<Cidr> servers;
  std::vector<PortRange> ports;
  std::vector<ClientGroup> groups;  // `client_group`: the client is in any of them
  std::optional<TimeWindow> when;
  std::optional<bool> capture;  // `"capture": true|false`: decrypted pcap for its flows
  bool learn_bypass = true;     // `"learn_bypass": false`: never learned, never tunnelled by a learned entry
  RuleMode mode = RuleMode::enforce;  // log: never decides; a match is reported as Decision::would_block
  std::shared_ptr<const icap::ScanConfig> scan;  // `"scan": {...}`: content scanning of its intercepted flows
  RequestMatcher request;                // `path`, `method`, `scheme`: a request rule
  std::vector<HeaderEdit> header_edits;  // `remove_request_header`, then `set_request_header`

  // Matches HTTP requests only, never a handshake.
  bool is_request_rule() const { return !request.empty(); }
  // Needs each request of its flows decided: a request rule, or one that edits headers.
  bool decides_requests() const { return is_request_rule() || !header_edits.empty(); }
  bool has_host_matcher() const { return !hosts.empty() || !host_lists.empty(); }
  // Every matcher but the host: client, server, port, client group, time.
  bool matches_addresses(const Query& q) const;
  bool has_address_matchers() const {
    return !clients.empty() || !servers.empty() || !ports.empty() || !groups.empty() || when;
  }
};

class Policy {
 public:
  // Parses a policy document; `source` names it in errors (usually the path).
  // Throws PolicyError on the first problem (JSON syntax, unknown key, bad value).
  static Policy parse(const std::string& json_text, const std::string& source);
  // Reads and parses `path`; throws PolicyError if it cannot be read or parsed.
  static Policy load_file(const std::string& path);
  // No rules: every flow gets `default_action`.
  static Policy allow_all(Action default_action);
  // Builds the index over already validated rules.
  Policy(std::vector<Rule> rules, Action default_action);

  // The first enforced rule, in file order, whose matchers all match; else the
  // default. A host rule matches when any of q.hosts matches it; with no hosts
  // it does not. Log-mode rules are skipped, and the first of them that matches
  // before the deciding rule is named in would_block (unless the decision blocks).
  // host_can_matter() and onboard_can_matter() see enforced rules only.
  Decision match(const Query& q) const;
  // True when some rule with a host matcher could change the decision for this
  // client/server/port (q.hosts is ignored), or a rule that decides requests
  // could apply to a request of it. When false, a flow without SNI can
  // be decided now instead of waiting for the upstream certificate's names.
  // Onboard counts as intercept here: they differ per HTTP request only, which
  // onboard_can_matter() answers.
  bool host_can_matter(const Query& q) const;
  // True when an onboard rule (or the default) could decide a request of this
  // client/server/port (q.hosts is ignored): only then need an HTTP port's
  // requests be held for the client's CA state.
  bool onboard_can_matter(const Query& q) const;
  // True when a rule that decides requests (decides_requests()) comes before
  // the rule that made `handshake` (the default: any) and could apply to a
  // request of this flow: its addresses match q, and its host matcher, if it
  // has one, matches one of q.hosts (q.request is ignored). Such a flow must
  // be intercepted, whatever `handshake` says, so its requests can be decided.
  bool requests_can_matter(const Query& q, const Decision& handshake) const;
  // Where the policy onboards: "rules[i]" of the first onboard rule, or
  // "default"; nullopt when nothing does (portal_listen is then not needed).
  std::optional<std::string> first_onboard() const;

  std::size_t rule_count() const { return rules_.size(); }
  Action default_action() const { return default_action_; }
  const std::vector<Rule>& rules() const { return rules_; }
  // True when some rule's client group lists MAC addresses: only then need
  // callers look the client's MAC up.
  bool uses_macs() const { return uses_macs_; }
  // True when some rule has `"mode": "log"`: only then can a decision carry would_block.
  bool has_log_rules() const { return !log_rules_.empty(); }
  // True when some rule decides requests by path, method or scheme, or edits headers.
  bool has_request_rules() const { return !request_rules_.empty(); }
  // Names indexed from host lists, and the index's memory (`policy check --stats`).
  std::size_t list_names() const { return list_names_; }
  std::size_t index_bytes() const { return index_.bytes(); }

 private:
  Decision decision_for(std::size_t index) const;
  std::size_t first_hostless_match(const Query& q) const;  // no_rule when none
  // The lowest rule below `before` among `hostless` and what `index` offers for
  // q.hosts whose matchers all match; `before` when none.
  std::size_t first_match(const HostIndex& index, const std::vector<std::uint32_t>& hostless, const Query& q,
                          std::size_t before) const;
  // Adds the log-mode rule `index` to the log rules' own index.
  void add_log_rule(Rule& rule, std::uint32_t index);
  bool matches(std::size_t index, const Query& q) const;  // every matcher but the host

  std::vector<Rule> rules_;
  Action default_action_;
  HostIndex index_;
  std::vector<std::uint32_t> hostless_;  // rules without a host matcher, in order
  // For host_can_matter(): host rules with address matchers (in order), and the
  // first host rule without any, per action.
  std::vector<std::uint32_t> conditional_host_rules_;
  std::array<std::size_t, 3> first_unconditional_host_rule_{};  // by flow-level action (onboard: intercept)
  std::vector<std::uint32_t> onboard_host_rules_;  // host rules that onboard, in order
  // `"mode": "log"` rules, kept apart so that they never decide: an index of
  // their hosts, those without a host matcher, and all of them (in order).
  HostIndex log_index_;
  std::vector<std::uint32_t> log_hostless_;
  std::vector<std::uint32_t> log_rules_;
  std::vector<std::uint32_t> request_rules_;       // rules that decide requests, in order
  bool uses_macs_ = false;
  std::size_t list_names_ = 0;
};

// Where rule `index` is in the file: "rules[3]", used in decisions and findings.
std::string rule_path(std::size_t index);

}  // namespace tlsgate::policy

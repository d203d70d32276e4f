#pragma once
// One flow's request gate and the decisions behind it: each request head is
// decided with the policy in force now (a reload reaches the next request),
// the ones refused get a page of the gateway's own, and each refusal is an
// `"event":"http"` line with action block (or onboard: a 302 to the CA
// onboarding portal), its reason and rule.
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/flow/decision.hpp"
#include "gateway/flow/header_rule_notes.hpp"
#include "gateway/flow/request_decision.hpp"
#include "gateway/http/request_gate.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/policy/time_window.hpp"
#include "gateway/snapshot.hpp"

namespace tlsgate {

struct SharedState;

class RequestPolicy {
 public:
  RequestPolicy(SharedState& shared, FlowRecord& record, const FlowFacts& facts, RequestPath path);
  RequestPolicy(const RequestPolicy&) = delete;  // the gate's callback points here
  RequestPolicy& operator=(const RequestPolicy&) = delete;

  // True when a host rule could give a request of this flow another outcome
  // than the flow's own: only then are its requests held and decided.
  static bool needed(SharedState& shared, const FlowFacts& facts);

  // The gate for this flow: h2 for ALPN "h2", HTTP/1 otherwise; on an HTTP
  // port the client's first bytes pick.
  std::unique_ptr<http::RequestGate> make_gate(const std::optional<std::string>& alpn);

  // The gate could not parse a request: logged like a refused request.
  void parse_failed(const std::string& error);
  // The relay ended: the flow line's `http.blocked` counts the requests the gateway answered itself.
  void add_to_summary();
  // The header rules applied to each forwarded request, for its http event.
  HeaderRuleNotes& header_rules() { return header_rules_; }

 private:
  http::RequestAnswer decide(const http::RequestHead& head);
  ClientCa client_ca() const;
  // The local time for `when` windows, read again at most once a second.
  policy::MinuteOfWeek local_minute();
  http::RequestAnswer onboard(const http::RequestHead& head, const RequestVerdict& v);
  // `action`: the http event's action, block or onboard.
  void log_answer(const http::RequestHead& head, int status, RequestReason reason,
                  const std::optional<policy::Decision>& rule, std::string_view action = "block");

  SharedState& shared_;
  FlowRecord& record_;
  RequestPath path_;
  policy::Query addresses_;  // the flow's client (and MAC), server and port; the time is each request's
  SnapshotView<policy::Policy> policy_;  // the policy in force at each request: a reload reaches the next one
  // The last allowed request's authority and the policy that allowed it (held, so its
  // address cannot come back as another policy's).
  std::shared_ptr<const policy::Policy> allowed_policy_;
  std::string allowed_authority_;
  policy::MinuteOfWeek allowed_minute_{};
  std::time_t minute_read_at_ = -1;  // local_minute()'s clock
  policy::MinuteOfWeek minute_{};
  std::uint64_t answered_ = 0;
  HeaderRuleNotes header_rules_;
  const http::RequestGate* gate_ = nullptr;  // the one make_gate() made (its version, for a parse failure)
  std::string portal_url_;  // looked up at the first onboarding; empty until then
};

}  // namespace tlsgate

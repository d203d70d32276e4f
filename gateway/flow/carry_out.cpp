#include "gateway/flow/carry_out.hpp"

#include <stdexcept>

#include "gateway/flow/http_port.hpp"
#include "gateway/flow/intercept.hpp"
#include "gateway/flow/refusal.hpp"
#include "gateway/flow/reload_decision.hpp"
#include "gateway/flow/tunnel.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/tls/alerts.hpp"

namespace tlsgate {
namespace {

// The record's verdict and proto have this one writer.
Verdict take_verdict(FlowContext& flow, const FlowFacts& facts) {
  Verdict verdict = decide_flow(*flow.policy.current(), facts, decision_settings(flow.shared.config));
  flow.record.verdict = verdict.flow;
  flow.record.proto = proto_of(facts);
  return verdict;
}

// The certificate's names served the last decision that needs them.
void forget_certificate_names(FlowFacts& facts) {
  facts.upstream.names.clear();
  facts.upstream.names.shrink_to_fit();
}

}  // namespace

awaitable<FlowEnd> carry_out(FlowContext& flow, FlowFacts& facts) {
  UpstreamLeg upstream;
  for (;;) {
    const Verdict verdict = take_verdict(flow, facts);
    if (verdict.response != Response::look_upstream) {
      forget_certificate_names(facts);
      if (verdict.response != Response::intercept) upstream.release(flow.record);
    }
    switch (verdict.response) {
      case Response::look_upstream:
        if (facts.upstream.state != UpstreamFacts::State::not_contacted)
          throw std::logic_error("decide_flow asked to look upstream twice");
        upstream = co_await look_upstream(flow, facts);
        continue;  // decide again with what the upstream showed
      case Response::reset:
        co_return refuse_with_reset(flow, verdict.why);
      case Response::deny:
        co_return refuse_with_alert(flow, facts.hello_bytes, tls::alert_access_denied, verdict.why);
      case Response::bad_certificate:
        co_return refuse_with_alert(flow, facts.hello_bytes, tls::alert_bad_certificate, verdict.why);
      case Response::none:
        co_return FlowEnd{EndBy::client, verdict.why, std::nullopt};
      case Response::tunnel: {
        FlowEnd end = co_await tunnel(flow);
        co_return end;
      }
      case Response::observe: {
        FlowEnd end = co_await observe(flow);
        co_return end;
      }
      case Response::decide_requests: {
        FlowEnd end = co_await serve_http_requests(flow, facts);
        co_return end;
      }
      case Response::intercept: {
        FlowEnd end = co_await intercept(flow, facts, upstream);
        co_return end;
      }
    }
    throw std::logic_error("unknown response");
  }
}

}  // namespace tlsgate

#include "gateway/flow/tls_port.hpp"

#include <algorithm>
#include <cstdio>

#include "gateway/flow/control.hpp"
#include "gateway/flow/intercept.hpp"
#include "gateway/flow/peek.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/tls/fingerprint.hpp"

namespace tlsgate {
namespace {

std::string version_name(std::uint16_t v) {
  switch (v) {
    case 0x0304: return "TLSv1.3";
    case 0x0303: return "TLSv1.2";
    case 0x0302: return "TLSv1.1";
    case 0x0301: return "TLSv1.0";
    case 0x0300: return "SSLv3";
    default: {
      char text[8];
      std::snprintf(text, sizeof text, "0x%04x", v);
      return text;
    }
  }
}

void describe_hello(FlowRecord& record, const tls::ClientHello& hello) {
  record.proto = "tls";
  record.hello = ClientHelloFacts{hello.sni, version_name(hello.max_version()), hello.alpn, tls::ja3(hello),
                                  tls::ja4(hello), hello.ech_offered};
  record.host = hello.sni;
}

bool offers_observable_alpn(const tls::ClientHello& hello) {
  return hello.alpn.empty() || !observable_alpn(hello).empty();
}

// The learned-bypass key: the SNI, or the server address for clients without one.
bool bypassed(const SharedState& shared, const FlowRecord& record, const tls::ClientHello& hello) {
  return shared.bypass && shared.bypass->contains(bypass_host(record, hello), record.client.ip);
}

}  // namespace

awaitable<FlowOutcome> tls_port_flow(FlowContext& flow) {
  const Config& config = flow.shared.config;
  FlowRecord& record = flow.record;
  const PeekResult peek = co_await peek_client_hello(flow.client, config.peek_max_bytes, config.peek_timeout);
  FlowFacts facts;
  facts.client = record.client.ip;
  facts.server = record.server;
  switch (peek.kind) {
    case PeekResult::Kind::closed:
      co_return FlowOutcome{FlowAction::tunnel, EndReason::client_closed_early, EndBy::client, peek.detail};
    case PeekResult::Kind::malformed:
      record.proto = "tls";
      co_return refuse_with_reset(flow, FlowAction::reject, peek.error, peek.detail);
    case PeekResult::Kind::not_tls:
    case PeekResult::Kind::timeout: {
      // Not a TLS client (or a server-speaks-first protocol): the addresses decide.
      record.proto = "unknown";
      facts.kind = peek.kind == PeekResult::Kind::not_tls ? FlowKind::not_tls : FlowKind::incomplete;
      const Verdict verdict = decide(flow, facts);
      FlowOutcome outcome = co_await follow(flow, verdict, 0);
      co_return outcome;
    }
    case PeekResult::Kind::hello:
      break;
  }
  describe_hello(record, peek.hello);
  flow.control.touch();

  facts.kind = FlowKind::tls;
  facts.sni = peek.hello.sni;
  facts.alpn_observable = offers_observable_alpn(peek.hello);
  facts.learned_bypass = bypassed(flow.shared, record, peek.hello);
  const Verdict verdict = decide(flow, facts);
  // Named locals only: GCC 12 may destroy a temporary argument of a co_await twice.
  FlowOutcome outcome;
  if (verdict.next == Next::look_upstream || verdict.next == Next::intercept) {
    const PeekedHello peeked{peek.hello, peek.hello_bytes};
    outcome = co_await intercept_flow(flow, peeked, facts);
  } else {
    outcome = co_await follow(flow, verdict, peek.hello_bytes);
  }
  co_return outcome;
}

}  // namespace tlsgate

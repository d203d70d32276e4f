#include "gateway/flow/tls_port.hpp"

#include <algorithm>
#include <cstdio>

#include "gateway/flow/control.hpp"
#include "gateway/flow/intercept.hpp"
#include "gateway/flow/peek.hpp"
#include "gateway/flow/shared_state.hpp"
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
  return shared.bypass && shared.bypass->contains(bypass_host(record, hello.sni), record.client.ip);
}

// What the rest of a TLS-port flow needs from its first bytes.
struct FirstLook {
  std::optional<FlowOutcome> ended;  // closed or malformed: the flow's outcome
  FlowFacts facts;
  Verdict verdict;
  PeekedHello peeked;  // facts.kind == tls
};

// Peeks, describes the ClientHello in the record and decides. A sub-coroutine so
// that the peek buffer's result and the parsed hello live in its frame, which is
// freed when it returns, not in the frame the flow keeps until its end.
awaitable<FirstLook> first_look(FlowContext& flow) {
  const Config& config = flow.shared.config;
  FlowRecord& record = flow.record;
  const PeekResult peek = co_await peek_client_hello(flow.client, config.peek_max_bytes, config.peek_timeout);
  FirstLook look;
  look.facts.client = record.client.ip;
  look.facts.server = record.server;
  switch (peek.kind) {
    case PeekResult::Kind::closed:
      look.ended = FlowOutcome{FlowAction::tunnel, EndReason::client_closed_early, EndBy::client, peek.detail};
      co_return look;
    case PeekResult::Kind::malformed:
      record.proto = "tls";
      look.ended = refuse_with_reset(flow, FlowAction::reject, peek.error, peek.detail);
      co_return look;
    case PeekResult::Kind::not_tls:
    case PeekResult::Kind::timeout:
      // Not a TLS client (or a server-speaks-first protocol): the addresses decide.
      record.proto = "unknown";
      look.facts.kind = peek.kind == PeekResult::Kind::not_tls ? FlowKind::not_tls : FlowKind::incomplete;
      look.verdict = decide(flow, look.facts);
      co_return look;
    case PeekResult::Kind::hello:
      break;
  }
  describe_hello(record, peek.hello);
  flow.control.touch();

  look.facts.kind = FlowKind::tls;
  look.facts.sni = peek.hello.sni;
  look.facts.alpn_observable = offers_observable_alpn(peek.hello);
  look.facts.learned_bypass = bypassed(flow.shared, record, peek.hello);
  look.verdict = decide(flow, look.facts);
  look.peeked = PeekedHello{peek.hello.sni, observable_alpn(peek.hello), peek.hello_bytes};
  co_return look;
}

}  // namespace

awaitable<FlowOutcome> tls_port_flow(FlowContext& flow) {
  FirstLook look = co_await first_look(flow);
  if (look.ended) co_return *look.ended;
  // Named locals only: GCC 12 may destroy a temporary argument of a co_await twice.
  FlowOutcome outcome;
  const Next next = look.verdict.next;
  if (look.facts.kind == FlowKind::tls && (next == Next::look_upstream || next == Next::intercept)) {
    outcome = co_await intercept_flow(flow, look.peeked, look.facts);
  } else {
    outcome = co_await follow(flow, look.verdict, look.peeked.bytes);
  }
  co_return outcome;
}

}  // namespace tlsgate

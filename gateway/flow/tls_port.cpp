#include "gateway/flow/tls_port.hpp"

#include <algorithm>
#include <cstdio>

#include "gateway/flow/flow_watch.hpp"
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
  record.hello = ClientHelloFacts{hello.sni, version_name(hello.max_version()), hello.alpn, tls::ja3(hello),
                                  tls::ja4(hello), hello.ech_offered};
}

bool offers_observable_alpn(const tls::ClientHello& hello) {
  return hello.alpn.empty() || !observable_alpn(hello).empty();
}

// The learned-bypass key: the SNI, or the server address for clients without one.
bool bypassed(const SharedState& shared, const FlowRecord& record, const tls::ClientHello& hello) {
  return shared.bypass && shared.bypass->contains(bypass_host(record, hello.sni), record.client.ip);
}

FlowKind kind_of(PeekResult::Kind peeked) {
  switch (peeked) {
    case PeekResult::Kind::hello: return FlowKind::tls;
    case PeekResult::Kind::not_tls: return FlowKind::not_tls;
    case PeekResult::Kind::malformed: return FlowKind::malformed;
    case PeekResult::Kind::timeout: return FlowKind::incomplete;
    case PeekResult::Kind::closed: return FlowKind::closed_early;
  }
  return FlowKind::malformed;
}

}  // namespace

// The peek result and the parsed hello live in this coroutine's frame, which is
// freed when it returns, not in the frame the flow keeps until its end.
awaitable<void> look_at_hello(FlowContext& flow, FlowFacts& facts) {
  const Config& config = flow.shared.config;
  const PeekResult peek = co_await peek_client_hello(flow.client, config.peek_max_bytes, config.peek_timeout);
  facts.kind = kind_of(peek.kind);
  facts.detail = peek.detail;
  facts.hello_error = peek.error;
  if (peek.kind != PeekResult::Kind::hello) co_return;
  describe_hello(flow.record, peek.hello);
  flow.control.touch();
  facts.hello_bytes = peek.hello_bytes;
  facts.sni = peek.hello.sni;
  facts.alpn = peek.hello.alpn;
  facts.alpn_observable = offers_observable_alpn(peek.hello);
  facts.learned_bypass = bypassed(flow.shared, flow.record, peek.hello);
}

}  // namespace tlsgate

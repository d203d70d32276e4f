#pragma once
// Interception of one TLS flow: connect upstream first (its certificate is
// what we imitate and what the decision may still need), then, once the
// verdict is intercept, forge, finish the client's handshake and relay the
// plaintext to the HTTP observers.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/flow/decision.hpp"
#include "gateway/flow/flow_context.hpp"
#include "gateway/tls/client_hello.hpp"
#include "gateway/tls/openssl.hpp"
#include "gateway/tls/tls_stream.hpp"

namespace tlsgate {

// The upstream TLS connection while the flow decides what to do with it.
struct UpstreamLeg {
  // The SSL refers to its session-cache key until it is freed (tickets arrive
  // after the handshake): heap-allocated so the leg can move.
  std::unique_ptr<const std::string> session_key;
  std::unique_ptr<tls::TlsStream> stream;  // set when the handshake succeeded
  tls::X509Ptr certificate;
  // Frees the SSL (the socket stays for whoever needs it next) and keeps only
  // the certificate's summary in the record.
  void release(FlowRecord& record);
};

// Connects and handshakes as a TLS client with the client's SNI and the
// observable part of its ALPN offer; what it learns goes into facts.upstream.
awaitable<UpstreamLeg> look_upstream(FlowContext& flow, FlowFacts& facts);

// Forges, finishes the client's handshake and relays until the end. `facts` and
// `upstream` belong to the caller, which awaits this to the end.
awaitable<FlowEnd> intercept(FlowContext& flow, const FlowFacts& facts, UpstreamLeg& upstream);

// The part of the client's ALPN offer the observers understand (h2, http/1.1).
std::vector<std::string> observable_alpn(const tls::ClientHello& hello);

// The learned-bypass key of a flow: its SNI, or its server address without one.
std::string bypass_host(const FlowRecord& record, const std::optional<std::string>& sni);

}  // namespace tlsgate

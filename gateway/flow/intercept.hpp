#pragma once
// Interception of one TLS flow: connect upstream first (its certificate is
// what we imitate), decide again with the certificate's names, verify, forge,
// finish the client's handshake and relay the plaintext to the HTTP observers.
#include <optional>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/flow/decision.hpp"
#include "gateway/flow/steps.hpp"
#include "gateway/tls/client_hello.hpp"

namespace tlsgate {

// What interception needs of the client's ClientHello, which is still unread in
// the kernel (`bytes` long). Not the parsed hello: a flow keeps this to its end.
struct PeekedHello {
  std::optional<std::string> sni;
  std::vector<std::string> alpn;  // the observable part of the offer (observable_alpn)
  std::size_t bytes = 0;
};

// Follows a look_upstream or intercept verdict to the end of the flow.
// `hello` and `facts` belong to the caller, which awaits this to the end.
awaitable<FlowOutcome> intercept_flow(FlowContext& flow, const PeekedHello& hello, FlowFacts& facts);

// The part of the client's ALPN offer the observers understand (h2, http/1.1).
std::vector<std::string> observable_alpn(const tls::ClientHello& hello);

// The learned-bypass key of a flow: its SNI, or its server address without one.
std::string bypass_host(const FlowRecord& record, const std::optional<std::string>& sni);

}  // namespace tlsgate

#pragma once
// The intercept path of a TLS flow: upstream handshake first (with the
// client's SNI and observable ALPN), verification, a forged leaf, the client
// handshake, then the decrypting relay with the HTTP observers.
#include "gateway/asio.hpp"

namespace tlsgate {

struct TlsFlow;

// `decided`: the policy already chose intercept. Otherwise (no SNI) the policy
// decides once the upstream certificate's names are known.
awaitable<void> intercept_flow(TlsFlow& flow, bool decided);

}  // namespace tlsgate

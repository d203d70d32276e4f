#pragma once
// The decrypting relay: plaintext moves client TLS -> upstream TLS and back,
// one bounded buffer per direction that holds data (borrowed from a per-thread
// pool only while bytes are in flight, so idle flows hold none). Reading one
// side waits while writing the other: backpressure. A close_notify or EOF one
// way is passed on as close_notify + TCP half-close; the other way goes on.
#include "gateway/asio.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/flow/relay/relay.hpp"
#include "gateway/tls/tls_stream.hpp"

namespace tlsgate {

struct FlowWatch;

awaitable<RelayEnd> tls_bridge(tls::TlsStream& client, tls::TlsStream& upstream, FlowRecord& record,
                               FlowWatch& control, RelayTap* tap);

}  // namespace tlsgate

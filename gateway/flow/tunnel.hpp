#pragma once
// The relays of flows that are not decrypted: a blind tunnel (splice, zero
// copy) and an observed plain HTTP flow. Both open a fresh upstream connection
// to the original destination; a failed connect resets the client and is the
// end's cause.
#include "gateway/asio.hpp"
#include "gateway/flow/flow_context.hpp"

namespace tlsgate {

awaitable<FlowEnd> tunnel(FlowContext& flow);

// Relays through user space, showing the bytes to the HTTP observer and the capture.
awaitable<FlowEnd> observe(FlowContext& flow);

}  // namespace tlsgate

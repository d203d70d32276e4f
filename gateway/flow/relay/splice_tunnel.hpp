#pragma once
// The blind relay: bytes move socket -> pipe -> socket with splice(2), never
// entering user space; read/write is the fallback where splice is refused.
// Half-close is preserved: EOF one way shuts down that way only.
#include "gateway/asio.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/flow/relay/relay.hpp"

namespace tlsgate {

struct FlowWatch;

// Relays until both directions are done. With a `tap` (an observed plain
// flow) the bytes go through user space instead, and the tap sees them. Counts delivered bytes into
// `record.from_client` / `record.to_client` and marks activity on `control`.
// Cancellation (from a watchdog `||`) stops both directions promptly.
awaitable<RelayEnd> splice_tunnel(tcp::socket& client, tcp::socket& server, FlowRecord& record,
                                  FlowWatch& control, RelayTap* tap = nullptr);

}  // namespace tlsgate

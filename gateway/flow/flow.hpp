#pragma once
// The life of one connection, from accept to its single `flow` line.
#include "gateway/asio.hpp"
#include "gateway/config.hpp"
#include "gateway/flow/original_dst.hpp"

namespace tlsgate {

struct SharedState;
class FlowRegistry;

// Owns the client socket (and later the upstream one) for the flow's whole
// life. Never throws: a bug ends this flow with `internal_error`, and every
// accepted connection gets exactly one flow line. `find_original` says where
// the connection was going (the daemon: original_destination).
awaitable<void> run_flow(tcp::socket client, RedirectMode mode, OriginalDestinationLookup find_original,
                         SharedState& shared, FlowRegistry& registry);

}  // namespace tlsgate

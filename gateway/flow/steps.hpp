#pragma once
// Flow steps shared by every path: connect to the original destination, relay
// blindly, and close sockets with or without a reset.
#include <chrono>

#include "gateway/asio.hpp"
#include "gateway/flow/record.hpp"
#include "gateway/flow/relay/bridge_tap.hpp"

namespace tlsgate {

struct FlowControl;

// Closes with RST so the peer learns at once that the flow failed.
void reset_socket(tcp::socket& socket);
void close_socket(tcp::socket& socket);

// Connects `upstream` to `destination` within `timeout`. On failure sets the
// record's reason and end (`end.by` error) and returns false.
awaitable<bool> connect_upstream(tcp::socket& upstream, const Endpoint& destination, FlowRecord& record,
                                 std::chrono::milliseconds timeout);

// Connects to record.server and splices both ways until the end; a failed
// connect resets the client. The record's reason is left as the caller set it,
// except for failures (connect errors, resets).
awaitable<void> tunnel_to_destination(tcp::socket& client, tcp::socket& upstream, FlowRecord& record,
                                      FlowControl& control, std::chrono::milliseconds connect_timeout,
                                      BridgeTap* tap = nullptr);

}  // namespace tlsgate

#pragma once
// Ending a flow the gateway refuses: a TCP reset, or a fatal TLS alert once a
// ClientHello was read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/flow/flow_context.hpp"

namespace tlsgate {

// Closes with RST so the peer learns at once that the flow failed.
void reset_socket(tcp::socket& socket);
void close_socket(tcp::socket& socket);

// Resets the client: a flow refused before any TLS was read.
FlowEnd refuse_with_reset(FlowContext& flow, std::string why);

// Consumes the `hello_bytes` that were only peeked, answers with a fatal TLS
// alert and closes cleanly, so the client reads the alert instead of a reset.
FlowEnd refuse_with_alert(FlowContext& flow, std::size_t hello_bytes, std::uint8_t alert, std::string why);

}  // namespace tlsgate

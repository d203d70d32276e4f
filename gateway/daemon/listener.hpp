#pragma once
// Opening the listening sockets (the accept loop is the worker's).
#include <memory>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"

namespace tlsgate {

// SO_REUSEPORT (one per worker); IP_TRANSPARENT / IPV6_TRANSPARENT for
// TPROXY; "::" accepts IPv4 too. Throws std::runtime_error naming the address.
std::unique_ptr<tcp::acceptor> open_acceptor(asio::io_context& io, const ListenerConfig& cfg);

}  // namespace tlsgate

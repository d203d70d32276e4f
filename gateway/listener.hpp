#pragma once
// Listening sockets and the accept loop that spawns one flow per connection.
#include <memory>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"

namespace tlsgate {

class Worker;

// SO_REUSEPORT (one per worker); IP_TRANSPARENT / IPV6_TRANSPARENT for
// TPROXY; "::" accepts IPv4 too. Throws std::runtime_error naming the address.
std::unique_ptr<tcp::acceptor> open_acceptor(asio::io_context& io, const ListenerConfig& cfg);

// Accepts until the acceptor closes; backs off on EMFILE and friends instead
// of spinning.
awaitable<void> accept_loop(Worker& worker, tcp::acceptor& acceptor, ListenerConfig cfg);

}  // namespace tlsgate

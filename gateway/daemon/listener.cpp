#include "gateway/daemon/listener.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>


namespace tlsgate {
namespace {

void set_int_option(int fd, int level, int name, const char* what, const ListenerConfig& cfg) {
  const int one = 1;
  if (::setsockopt(fd, level, name, &one, sizeof one) != 0)
    throw std::runtime_error("listener " + cfg.address.to_string() + ":" + std::to_string(cfg.port) + ": " + what +
                             ": " + std::strerror(errno));
}

}  // namespace

std::unique_ptr<tcp::acceptor> open_acceptor(asio::io_context& io, const ListenerConfig& cfg) {
  const tcp::endpoint ep = to_asio({cfg.address, cfg.port});
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  boost::system::error_code ec;
  acceptor->open(ep.protocol(), ec);
  const std::string name = "[" + cfg.address.to_string() + "]:" + std::to_string(cfg.port);
  if (ec) throw std::runtime_error("listener " + name + ": " + ec.message());
  const int fd = acceptor->native_handle();
  acceptor->set_option(tcp::acceptor::reuse_address(true));
  set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", cfg);
  if (ep.address().is_v6()) acceptor->set_option(asio::ip::v6_only(false), ec);
  if (cfg.mode == RedirectMode::tproxy) {
    // Accept connections addressed to any (non-local) destination.
    set_int_option(fd, SOL_IP, IP_TRANSPARENT, "IP_TRANSPARENT (needs CAP_NET_ADMIN)", cfg);
    if (ep.address().is_v6()) set_int_option(fd, SOL_IPV6, IPV6_TRANSPARENT, "IPV6_TRANSPARENT", cfg);
  }
  acceptor->bind(ep, ec);
  if (ec) throw std::runtime_error("listener " + name + ": bind: " + ec.message());
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("listener " + name + ": listen: " + ec.message());
  return acceptor;
}

}  // namespace tlsgate

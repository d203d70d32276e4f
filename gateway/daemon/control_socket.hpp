#pragma once
// The daemon's control socket: a unix SOCK_STREAM socket served on the control
// io_context. One request line in, one reply line out, then the connection closes
// (protocol: gateway/daemon/bypass_control.hpp). Only root (and, with a group set
// on the directory, nobody else) can reach it: the socket is created 0600.
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <string>

#include "gateway/asio.hpp"

namespace tlsgate {

class ControlSocket {
 public:
  // Answers one request line with one reply line (no newlines); runs on the io_context's
  // thread and may wait (e.g. for the workers), each connection on its own.
  using Handler = std::function<awaitable<std::string>(std::string request)>;

  // Creates the socket at `path` (and its directory, 0755, if missing) and starts
  // serving. A stale socket file left by a crash is replaced; one that a live process
  // still answers on is not: throws std::runtime_error saying so, as for any failure.
  ControlSocket(asio::io_context& io, std::string path, Handler handler);
  // Stops serving and removes the socket file.
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> acceptor_;
};

}  // namespace tlsgate

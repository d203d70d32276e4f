#include "gateway/control_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/config.hpp"

namespace tlsgate {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void unreachable(const std::string& why) { throw ControlUnreachable(why); }

}  // namespace

std::string control_exchange(const std::string& path, const std::string& request, int timeout_s) {
  const Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) unreachable(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) unreachable(path + ": the path is too long for a unix socket");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED)
      unreachable(path + ": " + std::strerror(e) + ": is the tlsgate daemon running (with this config)?");
    unreachable(path + ": " + std::strerror(e));
  }
  const timeval timeout{timeout_s, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string line = request + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    unreachable(path + ": sending the request: " + std::strerror(errno));
  std::string reply;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) unreachable(path + ": no reply from the daemon: " + std::strerror(errno));
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  if (reply.empty() || reply.back() != '\n') unreachable(path + ": the daemon closed the connection without a whole reply");
  reply.pop_back();
  return reply;
}

std::string control_socket_path(const std::string& config_path, const std::string& socket) {
  if (!socket.empty()) return socket;
  try {
    const Config config = load_config_file(config_path);
    if (!config.control_socket) unreachable(config_path + ": control_socket is null: the daemon has no control socket");
    return *config.control_socket;
  } catch (const ConfigError& e) {
    unreachable(std::string("cannot find the control socket: ") + e.what() + " (give --config FILE or --socket PATH)");
  }
}

nlohmann::json control_call(const std::string& path, const nlohmann::json& request, int timeout_s) {
  const std::string text = control_exchange(path, request.dump(), timeout_s);
  nlohmann::json reply = nlohmann::json::parse(text, nullptr, false);
  if (!reply.is_object()) unreachable(path + ": the daemon's reply is not a JSON object: " + text);
  if (!reply.value("ok", false))
    throw ControlRefused(reply.value("error", std::string("the daemon refused the request")));
  return reply;
}

}  // namespace tlsgate

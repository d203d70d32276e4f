#include "gateway/daemon/control_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace tlsgate {
namespace {

using local = asio::local::stream_protocol;

constexpr std::size_t max_request_bytes = 64 * 1024;
constexpr auto request_timeout = std::chrono::seconds(5);

// True when a process accepts connections on the socket at `path`.
bool someone_listens(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

awaitable<void> serve_one(local::socket socket, ControlSocket::Handler handler) {
  std::string request;
  auto read = asio::async_read_until(socket, asio::dynamic_buffer(request, max_request_bytes), '\n', use_tuple);
  const auto got = co_await with_timeout(std::move(read), request_timeout);
  if (!got) co_return;  // too slow
  auto [ec, n] = *got;
  if (ec && request.empty()) co_return;
  if (!ec) request.resize(n - 1);  // the line without its newline
  awaitable<std::string> answer = handler(std::move(request));  // a named local: see STYLE.md, GCC 12
  std::string reply = co_await std::move(answer);
  reply += '\n';
  co_await asio::async_write(socket, asio::buffer(reply), use_tuple);
}

awaitable<void> accept_loop(local::acceptor& acceptor, ControlSocket::Handler handler) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // EMFILE and the like: this client goes unanswered, later ones are served
    asio::co_spawn(acceptor.get_executor(), serve_one(std::move(socket), handler), asio::detached);
  }
}

}  // namespace

ControlSocket::ControlSocket(asio::io_context& io, std::string path, Handler handler) : path_(std::move(path)) {
  if (path_.size() >= sizeof(sockaddr_un::sun_path))
    throw std::runtime_error(path_ + ": the path is too long for a unix socket");
  const auto dir = std::filesystem::path(path_).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error(dir.string() + ": cannot create the directory: " + ec.message());
  }
  if (someone_listens(path_))
    throw std::runtime_error(path_ + ": another process (a running tlsgate?) already serves this control socket");
  ::unlink(path_.c_str());  // stale, from a crash
  acceptor_ = std::make_unique<local::acceptor>(io);
  acceptor_->open();
  // Created 0600 from the start, not chmod-ed after bind: no window for others to connect.
  const mode_t old_mask = ::umask(0177);
  boost::system::error_code bind_error;
  acceptor_->bind(local::endpoint(path_), bind_error);
  ::umask(old_mask);
  if (bind_error) throw std::runtime_error(path_ + ": cannot create the control socket: " + bind_error.message());
  acceptor_->listen();
  asio::co_spawn(io, accept_loop(*acceptor_, std::move(handler)), asio::detached);
}

ControlSocket::~ControlSocket() {
  boost::system::error_code ignored;
  acceptor_->close(ignored);
  ::unlink(path_.c_str());
}

}  // namespace tlsgate

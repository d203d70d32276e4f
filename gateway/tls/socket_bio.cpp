#include "gateway/tls/socket_bio.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace tlsgate::tls {
namespace {

bool retryable(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

SocketBioState& state_of(BIO* bio) { return *static_cast<SocketBioState*>(BIO_get_data(bio)); }

// Failures return 0 with errno as recv/send left it, like OpenSSL's own socket
// BIO, so SSL_ERROR_SYSCALL callers can still name the error.
int read_socket(BIO* bio, char* out, std::size_t len, std::size_t* got) {
  SocketBioState& state = state_of(bio);
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(state.fd, out, len, 0);
  if (n > 0) {
    *got = static_cast<std::size_t>(n);
    state.drained = *got < len;
    return 1;
  }
  state.drained = false;
  if (n == 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
  } else if (retryable(errno)) {
    state.drained = true;
    BIO_set_retry_read(bio);
  }
  return 0;
}

int write_socket(BIO* bio, const char* data, std::size_t len, std::size_t* put) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(state_of(bio).fd, data, len, MSG_NOSIGNAL);
  if (n > 0) {
    *put = static_cast<std::size_t>(n);
    return 1;
  }
  if (n < 0 && retryable(errno)) BIO_set_retry_write(bio);
  return 0;
}

long control(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    case BIO_C_GET_FD:
      return state_of(bio).fd;
    default:
      return 0;
  }
}

const BIO_METHOD* socket_method() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "tlsgate socket");
    if (!m || !BIO_meth_set_read_ex(m, read_socket) || !BIO_meth_set_write_ex(m, write_socket) ||
        !BIO_meth_set_ctrl(m, control)) {
      throw std::runtime_error("cannot create the socket BIO method");
    }
    return m;
  }();
  return method;
}

}  // namespace

BIO* new_socket_bio(SocketBioState& state) {
  BIO* bio = BIO_new(socket_method());
  if (!bio) throw std::runtime_error("BIO_new failed");
  BIO_set_data(bio, &state);
  BIO_set_init(bio, 1);
  return bio;
}

}  // namespace tlsgate::tls

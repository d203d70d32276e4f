#pragma once
// A BIO over a non-blocking TCP socket (recv/send, no VFS position lock) that
// remembers whether its last read emptied the socket: a relay that knows the
// socket is drained can wait for readiness without one more read that would
// only say EAGAIN.
#include <openssl/bio.h>

namespace tlsgate::tls {

struct SocketBioState {
  int fd = -1;
  bool drained = false;  // the last recv returned less than asked, or EAGAIN
};

// The BIO reads `state.fd` and keeps a pointer to `state`, which must outlive it.
// Not owning: freeing the BIO does not close the socket.
BIO* new_socket_bio(SocketBioState& state);

}  // namespace tlsgate::tls

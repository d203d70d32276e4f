#pragma once
// Reads the client's ClientHello without consuming it (MSG_PEEK): if the flow
// is tunnelled, the untouched bytes are still in the kernel for splice().
#include <chrono>
#include <cstddef>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/tls/client_hello.hpp"

namespace tlsgate {

struct PeekResult {
  enum class Kind { hello, not_tls, malformed, timeout, closed };
  Kind kind = Kind::closed;
  tls::ClientHello hello;     // when kind == hello
  std::size_t hello_bytes = 0;  // the bytes of the records that carried it
  tls::ClientHelloError error = tls::ClientHelloError::bad_record;  // malformed: what the parser found
  std::string detail;      // malformed / closed: what happened
};

// Waits until the peeked bytes hold a complete ClientHello, something that is
// not TLS, an error, `timeout`, or the client's EOF. At most `max_bytes` are peeked.
awaitable<PeekResult> peek_client_hello(tcp::socket& client, std::size_t max_bytes,
                                        std::chrono::milliseconds timeout);

}  // namespace tlsgate

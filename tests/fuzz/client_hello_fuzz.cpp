// Feeds arbitrary bytes to both ClientHello parsers, and every parsed hello to the fingerprints.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gateway/tls/client_hello.hpp"
#include "gateway/tls/fingerprint.hpp"

namespace {

void fingerprint(const tlsgate::tls::ClientHello& hello) {
  (void)tlsgate::tls::ja3(hello);
  (void)tlsgate::tls::ja4(hello, tlsgate::tls::Transport::tcp);
  (void)tlsgate::tls::ja4(hello, tlsgate::tls::Transport::quic);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  // A small limit too, so the too_large paths are reached.
  for (const std::size_t limit : {std::size_t{64 * 1024}, std::size_t{512}}) {
    const auto stream = tlsgate::tls::parse_client_hello(bytes, limit);
    if (stream.is_complete()) {
      if (stream.consumed > size || stream.consumed > limit) __builtin_trap();
      fingerprint(stream.value);
    }
  }
  const auto message = tlsgate::tls::parse_client_hello_message(bytes);
  if (message.is_complete()) {
    if (message.consumed > size) __builtin_trap();
    fingerprint(message.value);
  }
  return 0;
}

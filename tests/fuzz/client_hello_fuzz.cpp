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
  // The incremental assembler, fed in pieces whose size the first byte picks, must
  // agree with the one-shot parse.
  if (size > 0) {
    const std::size_t step = 1 + data[0] % 64;
    const auto whole = tlsgate::tls::parse_client_hello(bytes);
    tlsgate::tls::ClientHelloAssembler assembler;
    for (std::size_t n = step;; n += step) {
      const auto part = assembler.feed(bytes.first(std::min(n, size)));
      if (part.is_need_more() && n < size) continue;
      if (part.status != whole.status || (part.is_complete() && part.consumed != whole.consumed)) __builtin_trap();
      break;
    }
  }
  const auto message = tlsgate::tls::parse_client_hello_message(bytes);
  if (message.is_complete()) {
    if (message.consumed > size) __builtin_trap();
    fingerprint(message.value);
  }
  return 0;
}

#pragma once
// Reassembles the client's Initial CRYPTO stream (RFC 9000 19.6) until its first handshake
// message, the ClientHello, is complete. Frames may arrive in any order, overlap or repeat
// (retransmissions); the first bytes received for an offset win. Memory is bounded by
// max_bytes, which also caps the ClientHello size.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "netfilter/quic_initial.hpp"

namespace tlsgate::netfilter {

class CryptoReassembly {
 public:
  explicit CryptoReassembly(std::size_t max_bytes = 64 * 1024);

  // complete: the handshake message starting at offset 0 (type + 24-bit length + body) is all
  // here; the message type is not checked (the ClientHello parser does that).
  // too_large: data or the declared message length reaches past max_bytes. Both are final.
  enum class State { incomplete, complete, too_large };

  State add(const CryptoFrame& frame);
  State state() const { return state_; }
  // The whole handshake message, header included; empty unless complete.
  std::span<const std::uint8_t> client_hello() const;

 private:
  void update_state();

  std::size_t max_bytes_;
  State state_ = State::incomplete;
  std::vector<std::uint8_t> data_;  // grows to the furthest byte received
  std::vector<bool> have_;          // which bytes of data_ were received
  std::size_t contiguous_ = 0;      // bytes received without a gap from offset 0
};

}  // namespace tlsgate::netfilter

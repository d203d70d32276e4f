#pragma once
// What a relay shows its observers: the bytes after they were forwarded, so
// observers never change or delay them.
#include <cstdint>
#include <span>

namespace tlsgate {

class BridgeTap {
 public:
  virtual ~BridgeTap() = default;
  virtual void from_client(std::span<const std::uint8_t> bytes) = 0;
  virtual void from_server(std::span<const std::uint8_t> bytes) = 0;
};

}  // namespace tlsgate

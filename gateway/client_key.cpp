#include "gateway/client_key.hpp"

namespace tlsgate {

IpAddress client_key(const IpAddress& client, unsigned ipv6_prefix) {
  IpAddress key = client.unmapped();
  if (key.is_v4() || ipv6_prefix >= 128) return key;
  const unsigned whole = ipv6_prefix / 8;
  const unsigned bits = ipv6_prefix % 8;
  if (bits != 0) key.bytes[whole] &= static_cast<std::uint8_t>(0xff << (8 - bits));
  for (unsigned i = whole + (bits != 0 ? 1 : 0); i < 16; ++i) key.bytes[i] = 0;
  return key;
}

}  // namespace tlsgate

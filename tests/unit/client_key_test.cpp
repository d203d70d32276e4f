#include "gateway/client_key.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

TEST(ClientKey, Table) {
  struct Case {
    const char* client;
    unsigned prefix;
    const char* key;
  };
  const Case cases[] = {
      {"192.0.2.77", 64, "192.0.2.77"},                    // IPv4: the address
      {"::ffff:192.0.2.77", 64, "192.0.2.77"},             // mapped: unmapped first
      {"2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::"},
      {"2001:db8:1:2:ffff::1", 64, "2001:db8:1:2::"},      // same /64, same client
      {"2001:db8:1:3::1", 64, "2001:db8:1:3::"},           // the next /64 is another
      {"2001:db8:1:2:aaaa::1", 56, "2001:db8:1::"},
      {"2001:db8:1:ff:aaaa::1", 60, "2001:db8:1:f0::"},    // a prefix inside a byte
      {"2001:db8::1", 128, "2001:db8::1"},                 // 128: per address
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.client) + "/" + std::to_string(c.prefix));
    EXPECT_EQ(client_key(ip(c.client), c.prefix).to_string(), c.key);
  }
}

}  // namespace
}  // namespace tlsgate

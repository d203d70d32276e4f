#include "gateway/ip_address.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
  struct Case {
    const char* text;
    bool v4;
    const char* printed;
  };
  const Case cases[] = {
      {"192.0.2.1", true, "192.0.2.1"},
      {"2001:db8::1", false, "2001:db8::1"},
      {"2001:DB8:0:0:0:0:0:1", false, "2001:db8::1"},
      {"::ffff:192.0.2.7", false, "::ffff:192.0.2.7"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto ip = IpAddress::parse(c.text);
    ASSERT_TRUE(ip.has_value());
    EXPECT_EQ(ip->is_v4(), c.v4);
    EXPECT_EQ(ip->to_string(), c.printed);
  }
}

TEST(IpAddress, RejectsNonAddresses) {
  for (const char* text : {"", "example.com", "1.2.3", "1.2.3.4.5", "2001:db8::1::2", "300.1.1.1"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(IpAddress::parse(text).has_value());
  }
}

TEST(IpAddress, UnmapsV4MappedV6) {
  EXPECT_EQ(IpAddress::parse("::ffff:192.0.2.7")->unmapped(), *IpAddress::parse("192.0.2.7"));
  EXPECT_EQ(IpAddress::parse("2001:db8::1")->unmapped(), *IpAddress::parse("2001:db8::1"));
}

}  // namespace
}  // namespace tlsgate

#include "gateway/policy/cidr.hpp"

#include <gtest/gtest.h>

namespace tlsgate::policy {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

TEST(Cidr, ParsesAndPrints) {
  struct Case {
    const char* text;
    const char* printed;  // nullptr: rejected
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"192.168.1.7", "192.168.1.7/32"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"fd00::/8", "fd00::/8"},
      {"2001:db8::1", "2001:db8::1/128"},
      {"::/0", "::/0"},
      {"::ffff:10.0.0.0/104", "10.0.0.0/8"},  // IPv4-mapped prefixes become IPv4
      {"10.1.2.3/8", nullptr},                // host bits set
      {"fd00::1/8", nullptr},
      {"10.0.0.0/33", nullptr},
      {"fd00::/129", nullptr},
      {"10.0.0.0/", nullptr},
      {"10.0.0.0/8x", nullptr},
      {"10.0.0.0/-1", nullptr},
      {"10.0.0/8", nullptr},
      {"example.com", nullptr},
      {"", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto parsed = Cidr::parse(c.text);
    ASSERT_EQ(parsed.has_value(), c.printed != nullptr);
    if (parsed) {
      EXPECT_EQ(parsed->to_string(), c.printed);
    }
  }
}

TEST(Cidr, ContainsAddresses) {
  struct Case {
    const char* cidr;
    const char* address;
    bool inside;
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.255.1.2", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"192.168.4.0/22", "192.168.7.255", true},
      {"192.168.4.0/22", "192.168.8.0", false},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},  // v4-mapped client on a dual-stack socket
      {"10.0.0.0/8", "::a01:203", false},       // IPv4-compatible is not mapped
      {"0.0.0.0/0", "::1", false},              // families never mix
      {"::/0", "10.0.0.1", false},
      {"fd00::/8", "fd12:3456::1", true},
      {"fd00::/8", "fe80::1", false},
      {"2001:db8::/127", "2001:db8::1", true},
      {"2001:db8::/127", "2001:db8::2", false},
      {"192.168.1.7", "192.168.1.7", true},
      {"192.168.1.7", "192.168.1.8", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.cidr) + " " + c.address);
    EXPECT_EQ(Cidr::parse(c.cidr)->contains(ip(c.address)), c.inside);
  }
}

TEST(Cidr, ContainsPrefixes) {
  const auto wide = *Cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(wide.contains(*Cidr::parse("10.1.0.0/16")));
  EXPECT_TRUE(wide.contains(wide));
  EXPECT_FALSE(Cidr::parse("10.1.0.0/16")->contains(wide));
  EXPECT_FALSE(wide.contains(*Cidr::parse("11.0.0.0/16")));
  EXPECT_FALSE(Cidr::parse("::/0")->contains(wide));
}

}  // namespace
}  // namespace tlsgate::policy

#include "gateway/flow/forbidden_destinations.hpp"

#include <gtest/gtest.h>

#include "gateway/config.hpp"

namespace tlsgate {
namespace {

bool forbidden(const std::vector<policy::Cidr>& list, const char* ip) {
  return is_forbidden(list, *IpAddress::parse(ip));
}

TEST(ForbiddenDestinations, DefaultsCoverLoopbackAndLinkLocal) {
  const auto list = parse_forbidden_destinations(Config{}.forbidden_destinations);
  EXPECT_TRUE(forbidden(list, "127.0.0.1"));
  EXPECT_TRUE(forbidden(list, "127.255.1.2"));
  EXPECT_TRUE(forbidden(list, "::1"));
  EXPECT_TRUE(forbidden(list, "169.254.169.254"));
  EXPECT_TRUE(forbidden(list, "fe80::1"));
  EXPECT_TRUE(forbidden(list, "::ffff:169.254.169.254"));  // IPv4-mapped is the IPv4 address
  EXPECT_FALSE(forbidden(list, "128.0.0.1"));
  EXPECT_FALSE(forbidden(list, "169.255.0.1"));
  EXPECT_FALSE(forbidden(list, "192.0.2.10"));
  EXPECT_FALSE(forbidden(list, "fec0::1"));
  EXPECT_FALSE(forbidden(list, "2001:db8::1"));
}

TEST(ForbiddenDestinations, EmptyListForbidsNothing) {
  EXPECT_FALSE(forbidden(parse_forbidden_destinations({}), "127.0.0.1"));
}

TEST(ForbiddenDestinations, HostBitsAreAConfigError) {
  try {
    parse_forbidden_destinations({"10.0.0.0/8", "10.1.2.3/8"});
    ADD_FAILURE() << "accepted a prefix with host bits";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("forbidden_destinations: '10.1.2.3/8'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlsgate

#include "gateway/flow/portal_redirect.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

Endpoint endpoint(const char* ip, std::uint16_t port) { return Endpoint{*IpAddress::parse(ip), port}; }

TEST(PortalUrl, NamesTheConfiguredAddress) {
  const IpAddress client = *IpAddress::parse("10.10.1.2");
  EXPECT_EQ(portal_url(endpoint("10.10.1.1", 8080), client), "http://10.10.1.1:8080/");
  EXPECT_EQ(portal_url(endpoint("fd10:1::1", 8080), client), "http://[fd10:1::1]:8080/");
  EXPECT_EQ(portal_url(endpoint("::ffff:10.10.1.1", 80), client), "http://10.10.1.1:80/");
}

// A wildcard names the gateway's address toward the client (a route lookup, nothing sent).
TEST(PortalUrl, AWildcardNamesTheAddressTowardTheClient) {
  EXPECT_EQ(portal_url(endpoint("0.0.0.0", 8080), *IpAddress::parse("127.0.0.1")), "http://127.0.0.1:8080/");
  EXPECT_EQ(portal_url(endpoint("::", 8080), *IpAddress::parse("::ffff:127.0.0.1")), "http://127.0.0.1:8080/");
}

TEST(OnboardPage, LinksThePortal) {
  EXPECT_NE(onboard_page("http://10.10.1.1:8080/").find("<a href=\"http://10.10.1.1:8080/\">"), std::string::npos);
}

}  // namespace
}  // namespace tlsgate

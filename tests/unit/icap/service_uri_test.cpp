// parse_service_uri: the forms a config may hold, and each refusal's reason.
#include "gateway/icap/service_uri.hpp"

#include <gtest/gtest.h>

namespace tlsgate::icap {
namespace {

TEST(ServiceUri, Accepted) {
  std::string error;
  const auto a = parse_service_uri("icap://127.0.0.1:1344/avscan", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->server.ip.to_string(), "127.0.0.1");
  EXPECT_EQ(a->server.port, 1344);
  EXPECT_EQ(a->path, "/avscan");
  EXPECT_EQ(a->uri(), "icap://127.0.0.1:1344/avscan");
  const auto b = parse_service_uri("icap://10.0.0.5/virus_scan?allow204=on", error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->server.port, default_icap_port);
  EXPECT_EQ(b->path, "/virus_scan?allow204=on");
  const auto c = parse_service_uri("icap://[fd00::1]:11344/avscan", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->host_header(), "[fd00::1]:11344");
}

TEST(ServiceUri, Refused) {
  const char* cases[][2] = {
      {"http://127.0.0.1/avscan", "icap://"},     {"icap://127.0.0.1:1344", "service path"},
      {"icap://127.0.0.1:1344/", "service path"}, {"icap://localhost:1344/avscan", "IP address"},
      {"icap://::1/avscan", "IP address"},        {"icap://[127.0.0.1]/avscan", "IP address"},
      {"icap://[::1/avscan", "closing ]"},        {"icap://[::1]x/avscan", "after the IPv6"},
      {"icap://127.0.0.1:0/avscan", "port"},      {"icap://127.0.0.1:70000/avscan", "port"},
      {"icap://127.0.0.1:/avscan", "port"},       {"icap://127.0.0.1/av scan", "spaces"},
  };
  for (const auto& [text, why] : cases) {
    SCOPED_TRACE(text);
    std::string error;
    EXPECT_FALSE(parse_service_uri(text, error));
    EXPECT_NE(error.find(why), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tlsgate::icap

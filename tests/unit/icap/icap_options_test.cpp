// read_options: c-icap's real OPTIONS answer, every header RFC 3507 4.10.2 lists, Transfer-*
// precedence, and the answers it refuses.
#include "gateway/icap/icap_options.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace tlsgate::icap {
namespace {

IcapResponse parsed(const std::string& bytes) {
  auto r = parse_icap_response(bytes);
  EXPECT_TRUE(r.is_complete()) << r.detail;
  return r.value;
}

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TLSGATE_TEST_DATA_DIR) + "/icap/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(IcapOptions, CIcapAvscan) {
  std::string error;
  const auto o = read_options(parsed(fixture("options_avscan.bin")), error);
  ASSERT_TRUE(o) << error;
  EXPECT_TRUE(o->supports("RESPMOD"));
  EXPECT_TRUE(o->supports("reqmod"));
  EXPECT_FALSE(o->supports("OPTIONS"));
  EXPECT_EQ(o->istag, "\"CI0001-L5CkDhq+qWNs+PZ5DxxXsAAA\"");
  EXPECT_EQ(o->service, "C-ICAP/0.5.10 server - Antivirus service");
  EXPECT_EQ(o->preview, 1024u);
  EXPECT_EQ(o->ttl, std::chrono::seconds(3600));
  EXPECT_EQ(o->max_connections, std::nullopt);  // c-icap does not send it
  EXPECT_TRUE(o->allow_204);
  EXPECT_EQ(o->transfer_preview, std::vector<std::string>{"*"});
  EXPECT_EQ(o->transfer_for("exe"), IcapOptions::Transfer::preview);
}

const std::string head = "ICAP/1.0 200 OK\r\nMethods: RESPMOD\r\nISTag: \"x\"\r\nEncapsulated: null-body=0\r\n";

TEST(IcapOptions, EveryHeader) {
  std::string error;
  const auto o =
      read_options(parsed(head + "Max-Connections: 12\r\nOptions-TTL: 0\r\n"
                                 "Transfer-Preview: *\r\nTransfer-Ignore: JPG, gif\r\nTransfer-Complete: exe\r\n\r\n"),
                   error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->max_connections, 12u);
  EXPECT_EQ(o->ttl, std::chrono::seconds(0));
  EXPECT_EQ(o->preview, std::nullopt);
  EXPECT_FALSE(o->allow_204);
  EXPECT_EQ(o->transfer_for("jpg"), IcapOptions::Transfer::ignore);
  EXPECT_EQ(o->transfer_for("exe"), IcapOptions::Transfer::complete);
  EXPECT_EQ(o->transfer_for("html"), IcapOptions::Transfer::preview);
  EXPECT_EQ(o->transfer_for(""), IcapOptions::Transfer::preview);
}

TEST(IcapOptions, StarInIgnoreOrCompleteAppliesToTheUnlisted) {
  std::string error;
  auto o = read_options(parsed(head + "Transfer-Ignore: *\r\nTransfer-Preview: exe\r\n\r\n"), error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->transfer_for("exe"), IcapOptions::Transfer::preview);
  EXPECT_EQ(o->transfer_for("zip"), IcapOptions::Transfer::ignore);
  o = read_options(parsed(head + "Transfer-Complete: *\r\n\r\n"), error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->transfer_for("zip"), IcapOptions::Transfer::complete);
}

TEST(IcapOptions, Refused) {
  const std::pair<std::string, const char*> cases[] = {
      {fixture("options_unknown_service.bin"), "404 Service not found"},
      {"ICAP/1.0 200 OK\r\nISTag: \"x\"\r\n\r\n", "Methods"},
      {"ICAP/1.0 200 OK\r\nMethods: RESPMOD\r\n\r\n", "ISTag"},
      {head + "Preview: lots\r\n\r\n", "Preview"},
      {head + "Max-Connections: 0\r\n\r\n", "Max-Connections"},
      {head + "Options-TTL: -1\r\n\r\n", "Options-TTL"},
  };
  for (const auto& [bytes, why] : cases) {
    SCOPED_TRACE(why);
    std::string error;
    EXPECT_FALSE(read_options(parsed(bytes), error));
    EXPECT_NE(error.find(why), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tlsgate::icap

// What a header rule may change: ordinary fields with clean values; never framing, routing,
// hop-by-hop or pseudo fields.
#include <gtest/gtest.h>

#include "gateway/http/header_edit.hpp"

namespace tlsgate::http {
namespace {

using Kind = HeaderEdit::Kind;

struct EditCase {
  const char* name;
  HeaderEdit edit;
  const char* error;  // a part of the reason; nullptr: allowed
};

class HeaderEditCheck : public ::testing::TestWithParam<EditCase> {};

TEST_P(HeaderEditCheck, AllowsOrNamesTheReason) {
  const EditCase& c = GetParam();
  const auto error = header_edit_error(c.edit);
  if (c.error == nullptr) {
    EXPECT_FALSE(error) << *error;
  } else {
    ASSERT_TRUE(error);
    EXPECT_NE(error->find(c.error), std::string::npos) << *error;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HeaderEditCheck,
    ::testing::Values(
        EditCase{"set_ordinary", {Kind::set, "YouTube-Restrict", "Strict"}, nullptr},
        EditCase{"set_empty_value", {Kind::set, "X-Empty", ""}, nullptr},
        EditCase{"set_obs_text_and_tab", {Kind::set, "X-Text", "caf\xc3\xa9\tau lait"}, nullptr},
        EditCase{"remove_ordinary", {Kind::remove, "X-Forwarded-For", ""}, nullptr},
        EditCase{"remove_ignores_value", {Kind::remove, "Cookie", "\r\n"}, nullptr},
        EditCase{"host", {Kind::set, "Host", "evil.test"}, "frames or routes"},
        EditCase{"host_any_case", {Kind::remove, "hOST", ""}, "frames or routes"},
        EditCase{"content_length", {Kind::set, "Content-Length", "0"}, "frames or routes"},
        EditCase{"transfer_encoding", {Kind::set, "Transfer-Encoding", "chunked"}, "frames or routes"},
        EditCase{"connection", {Kind::remove, "Connection", ""}, "frames or routes"},
        EditCase{"upgrade", {Kind::set, "Upgrade", "h2c"}, "frames or routes"},
        EditCase{"te", {Kind::set, "TE", "trailers"}, "frames or routes"},
        EditCase{"keep_alive", {Kind::set, "Keep-Alive", "1"}, "frames or routes"},
        EditCase{"proxy_connection", {Kind::set, "Proxy-Connection", "x"}, "frames or routes"},
        EditCase{"trailer", {Kind::set, "Trailer", "x"}, "frames or routes"},
        EditCase{"http2_settings", {Kind::remove, "HTTP2-Settings", ""}, "frames or routes"},
        EditCase{"pseudo_header", {Kind::set, ":authority", "evil.test"}, "pseudo-header"},
        EditCase{"pseudo_path", {Kind::remove, ":path", ""}, "pseudo-header"},
        EditCase{"empty_name", {Kind::set, "", "v"}, "empty header name"},
        EditCase{"space_in_name", {Kind::set, "X Y", "v"}, "not a token"},
        EditCase{"colon_in_name", {Kind::set, "X:Y", "v"}, "not a token"},
        EditCase{"crlf_in_name", {Kind::set, "X\r\nHost", "v"}, "not a token"},
        EditCase{"crlf_in_value", {Kind::set, "X-A", "v\r\nHost: evil.test"}, "control character"},
        EditCase{"lf_in_value", {Kind::set, "X-A", "v\nx"}, "control character"},
        EditCase{"nul_in_value", {Kind::set, "X-A", std::string("v\0x", 3)}, "control character"},
        EditCase{"del_in_value", {Kind::set, "X-A", "v\x7f"}, "control character"},
        EditCase{"leading_space", {Kind::set, "X-A", " v"}, "whitespace"},
        EditCase{"trailing_tab", {Kind::set, "X-A", "v\t"}, "whitespace"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(HeaderEdit, DescribesWithTheRulesSpelling) {
  EXPECT_EQ(describe({Kind::set, "YouTube-Restrict", "Strict"}), "set YouTube-Restrict");
  EXPECT_EQ(describe({Kind::remove, "X-Forwarded-For", ""}), "remove X-Forwarded-For");
}

TEST(HeaderEdit, FieldNamesIgnoreAsciiCaseOnly) {
  EXPECT_TRUE(same_field_name("YouTube-Restrict", "youtube-restrict"));
  EXPECT_FALSE(same_field_name("x-a", "x-ab"));
  EXPECT_FALSE(same_field_name("x-\xc3", "x-\xe3"));  // no case folding beyond ASCII
}

}  // namespace
}  // namespace tlsgate::http

// parse_icap_response: c-icap's real answers (tests/data/icap/, scripts/capture_icap_answers.sh)
// at every truncation and with bytes after them, then built edge cases: folding, Encapsulated
// layouts, chunk extensions and trailers, and every bound.
#include "gateway/icap/icap_response.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace tlsgate::icap {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TLSGATE_TEST_DATA_DIR) + "/icap/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), {}};
}

struct Capture {
  const char* file;
  unsigned status;
  bool has_body;
};

class Captures : public ::testing::TestWithParam<Capture> {};

// Every strict prefix needs more; the whole answer completes with every byte used; bytes
// after it are left alone.
TEST_P(Captures, EveryTruncationNeedsMoreAndTheWholeCompletes) {
  const std::string bytes = fixture(GetParam().file);
  ASSERT_FALSE(bytes.empty());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto r = parse_icap_response(std::string_view(bytes).substr(0, n));
    ASSERT_TRUE(r.is_need_more()) << "prefix of " << n << " bytes: " << r.detail;
  }
  const auto r = parse_icap_response(bytes);
  ASSERT_TRUE(r.is_complete()) << r.detail;
  EXPECT_EQ(r.consumed, bytes.size());
  EXPECT_EQ(r.value.status, GetParam().status);
  EXPECT_EQ(r.value.has_body, GetParam().has_body);
  const auto followed = parse_icap_response(bytes + "ICAP/1.0 204 No Content\r\n\r\n");
  ASSERT_TRUE(followed.is_complete());
  EXPECT_EQ(followed.consumed, bytes.size());
}

INSTANTIATE_TEST_SUITE_P(CIcap, Captures,
                         ::testing::Values(Capture{"options_avscan.bin", 200, false},
                                           Capture{"options_unknown_service.bin", 404, false},
                                           Capture{"respmod_clean_in_preview_204.bin", 204, false},
                                           Capture{"respmod_clean_continue_100.bin", 100, false},
                                           Capture{"respmod_clean_after_continue_204.bin", 204, false},
                                           Capture{"respmod_eicar_200.bin", 200, true},
                                           Capture{"respmod_signed_after_continue_200.bin", 200, true},
                                           Capture{"reqmod_eicar_200.bin", 200, true}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.file;
                           return name.substr(0, name.find('.'));
                         });

TEST(IcapResponse, CIcapBlockPageIsSplitIntoHeadAndBody) {
  const auto r = parse_icap_response(fixture("respmod_eicar_200.bin"));
  ASSERT_TRUE(r.is_complete());
  const auto& v = r.value;
  EXPECT_EQ(v.reason, "OK");
  ASSERT_NE(v.header("istag"), nullptr);
  EXPECT_EQ(*v.header("ISTag"), "\"CI0001-L5CkDhq+qWNs+PZ5DxxXsAAA\"");
  // The folded header keeps its lines.
  ASSERT_NE(v.header("X-Violations-Found"), nullptr);
  EXPECT_EQ(*v.header("X-Violations-Found"), "1\n-\nTlsgate.Test.Eicar.UNOFFICIAL\n0\n0");
  ASSERT_EQ(v.encapsulated.size(), 2u);
  EXPECT_EQ(v.encapsulated[1].name, "res-body");
  EXPECT_EQ(v.encapsulated[1].offset, 161u);
  EXPECT_EQ(v.response_head.size(), 161u);
  EXPECT_TRUE(v.response_head.starts_with("HTTP/1.0 403 Forbidden\r\n"));
  EXPECT_TRUE(v.response_head.ends_with("\r\n\r\n"));
  EXPECT_TRUE(v.request_head.empty());
  EXPECT_NE(v.body.find("Tlsgate.Test.Eicar.UNOFFICIAL"), std::string::npos);
  // c-icap's template output really ends with two NUL bytes, counted in the chunk size.
  EXPECT_TRUE(v.body.ends_with(std::string("</html>\n\0\0", 10)));
}

TEST(IcapResponse, BothHeadsAreSeparatedByTheirOffsets) {
  const std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string res = "HTTP/1.1 200 OK\r\n\r\n";
  const std::string bytes = "ICAP/1.0 200 OK\r\nEncapsulated: req-hdr=0, res-hdr=" + std::to_string(req.size()) +
                            ", null-body=" + std::to_string(req.size() + res.size()) + "\r\n\r\n" + req + res;
  const auto r = parse_icap_response(bytes);
  ASSERT_TRUE(r.is_complete()) << r.detail;
  EXPECT_EQ(r.value.request_head, req);
  EXPECT_EQ(r.value.response_head, res);
  EXPECT_FALSE(r.value.has_body);
  EXPECT_EQ(r.consumed, bytes.size());
}

TEST(IcapResponse, ChunkExtensionsAndTrailersAreRead) {
  const std::string bytes =
      "ICAP/1.0 200 OK\r\nEncapsulated: res-body=0\r\n\r\n"
      "3;name=value\r\nabc\r\nA\r\n0123456789\r\n0; ieof\r\nX-Trailer: 1\r\n\r\n";
  const auto r = parse_icap_response(bytes);
  ASSERT_TRUE(r.is_complete()) << r.detail;
  EXPECT_EQ(r.value.body, "abc0123456789");
  EXPECT_EQ(r.consumed, bytes.size());
}

TEST(IcapResponse, AStatusWithoutEncapsulatedIsItsHeadAlone) {
  const std::string head = "ICAP/1.0 500 Server Error\r\n\r\n";
  const auto r = parse_icap_response(head + "trailing");
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.value.status, 500u);
  EXPECT_EQ(r.value.reason, "Server Error");
  EXPECT_EQ(r.consumed, head.size());
}

struct Bad {
  const char* name;
  std::string bytes;
  IcapError error;
};

class Refused : public ::testing::TestWithParam<Bad> {};

TEST_P(Refused, WithItsError) {
  const auto r = parse_icap_response(GetParam().bytes);
  ASSERT_TRUE(r.is_error()) << "status " << static_cast<int>(r.status);
  EXPECT_EQ(r.error, GetParam().error) << to_string(r.error) << ": " << r.detail;
  EXPECT_FALSE(r.detail.empty());
}

const std::string ok = "ICAP/1.0 200 OK\r\n";

INSTANTIATE_TEST_SUITE_P(
    Malformed, Refused,
    ::testing::Values(
        Bad{"http_status_line", "HTTP/1.1 200 OK\r\n\r\n", IcapError::bad_status_line},
        Bad{"status_line_refused_early", "HTTP/1.1 200 OK\r\n", IcapError::bad_status_line},
        Bad{"two_digit_status", "ICAP/1.0 20 OK\r\n\r\n", IcapError::bad_status_line},
        Bad{"status_glued_to_reason", "ICAP/1.0 200OK\r\n\r\n", IcapError::bad_status_line},
        Bad{"header_without_colon", ok + "Encapsulated\r\n\r\n", IcapError::bad_header},
        Bad{"space_in_header_name", ok + "Bad Name: 1\r\n\r\n", IcapError::bad_header},
        Bad{"continuation_first", ok + " folded\r\n\r\n", IcapError::bad_header},
        Bad{"encapsulated_unknown_name", ok + "Encapsulated: foo=0\r\n\r\n", IcapError::bad_encapsulated},
        Bad{"encapsulated_not_from_zero", ok + "Encapsulated: res-hdr=5, null-body=9\r\n\r\n",
            IcapError::bad_encapsulated},
        Bad{"encapsulated_falling", ok + "Encapsulated: req-hdr=0, res-hdr=10, res-body=5\r\n\r\n",
            IcapError::bad_encapsulated},
        Bad{"encapsulated_body_not_last", ok + "Encapsulated: res-body=0, res-hdr=3\r\n\r\n",
            IcapError::bad_encapsulated},
        Bad{"encapsulated_no_body_entry", ok + "Encapsulated: res-hdr=0\r\n\r\n", IcapError::bad_encapsulated},
        Bad{"encapsulated_twice_the_same", ok + "Encapsulated: res-hdr=0, res-hdr=0, null-body=0\r\n\r\n",
            IcapError::bad_encapsulated},
        Bad{"encapsulated_not_a_number", ok + "Encapsulated: res-body=x\r\n\r\n", IcapError::bad_encapsulated},
        Bad{"chunk_size_not_hex", ok + "Encapsulated: res-body=0\r\n\r\nzz\r\n", IcapError::bad_chunk},
        Bad{"chunk_size_overflows", ok + "Encapsulated: res-body=0\r\n\r\n10000000000000000\r\n", IcapError::bad_chunk},
        Bad{"chunk_without_crlf", ok + "Encapsulated: res-body=0\r\n\r\n3\r\nabcX\r\n", IcapError::bad_chunk},
        Bad{"chunk_size_line_endless", ok + "Encapsulated: res-body=0\r\n\r\n" + std::string(2000, '1'),
            IcapError::bad_chunk},
        Bad{"body_past_limit", ok + "Encapsulated: res-body=0\r\n\r\n200001\r\n", IcapError::body_too_large},
        Bad{"heads_past_limit", ok + "Encapsulated: res-hdr=0, null-body=70000\r\n\r\n", IcapError::body_too_large},
        Bad{"head_past_limit", ok + "X: " + std::string(17000, 'a'), IcapError::head_too_large}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(IcapResponse, HeaderCountIsBounded) {
  std::string bytes = ok;
  for (int i = 0; i < 5; ++i) bytes += "X-" + std::to_string(i) + ": 1\r\n";
  bytes += "\r\n";
  IcapLimits limits;
  limits.max_headers = 4;
  const auto r = parse_icap_response(bytes, limits);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error, IcapError::too_many_headers);
  limits.max_headers = 5;
  EXPECT_TRUE(parse_icap_response(bytes, limits).is_complete());
}

TEST(IcapResponse, BodyLimitIsExact) {
  const std::string bytes = ok + "Encapsulated: res-body=0\r\n\r\n4\r\nabcd\r\n0\r\n\r\n";
  IcapLimits limits;
  limits.max_body_bytes = 4;
  EXPECT_TRUE(parse_icap_response(bytes, limits).is_complete());
  limits.max_body_bytes = 3;
  EXPECT_EQ(parse_icap_response(bytes, limits).error, IcapError::body_too_large);
}

TEST(Encapsulated, LayoutsOfRfc3507) {
  const auto parts = parse_encapsulated("req-hdr=0, res-hdr=137, res-body=296");
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[1].name, "res-hdr");
  EXPECT_EQ((*parts)[2].offset, 296u);
  EXPECT_TRUE(parse_encapsulated("null-body=0"));
  EXPECT_TRUE(parse_encapsulated("opt-body=0"));
  EXPECT_TRUE(parse_encapsulated("req-hdr=0,req-body=40"));
  EXPECT_FALSE(parse_encapsulated(""));
  EXPECT_FALSE(parse_encapsulated("req-hdr=0, null-body=10, res-body=20"));
}

}  // namespace
}  // namespace tlsgate::icap

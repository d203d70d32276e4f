// Header rules on a decoded h2 block: lowercase names, pseudo-headers untouched and first,
// never-indexed marks kept, refused edits skipped.
#include <gtest/gtest.h>

#include <vector>

#include "gateway/http/h2_header_edit.hpp"

namespace tlsgate::http::h2 {
namespace {

using Kind = HeaderEdit::Kind;

std::vector<HeaderField> request(std::vector<HeaderField> extra) {
  std::vector<HeaderField> f = {{":method", "GET"}, {":scheme", "https"}, {":authority", "a.test"}, {":path", "/"}};
  f.insert(f.end(), extra.begin(), extra.end());
  return f;
}

TEST(H2HeaderEdit, SetAppendsLowercaseAfterEveryField) {
  auto fields = request({{"accept", "*/*"}});
  EXPECT_TRUE(apply_header_edits(fields, std::vector<HeaderEdit>{{Kind::set, "YouTube-Restrict", "Strict"}}));
  EXPECT_EQ(fields, request({{"accept", "*/*"}, {"youtube-restrict", "Strict"}}));
}

TEST(H2HeaderEdit, SetReplacesTheFirstKeepsItsMarkAndDropsTheRest) {
  auto fields = request({{"cookie", "a=1", true}, {"accept", "*/*"}, {"cookie", "b=2"}});
  EXPECT_TRUE(apply_header_edits(fields, std::vector<HeaderEdit>{{Kind::set, "Cookie", "c=3"}}));
  EXPECT_EQ(fields, request({{"cookie", "c=3", true}, {"accept", "*/*"}}));
}

TEST(H2HeaderEdit, RemoveDropsEveryOne) {
  auto fields = request({{"x-forwarded-for", "1"}, {"accept", "*/*"}, {"x-forwarded-for", "2"}});
  EXPECT_TRUE(apply_header_edits(fields, std::vector<HeaderEdit>{{Kind::remove, "X-Forwarded-For", ""}}));
  EXPECT_EQ(fields, request({{"accept", "*/*"}}));
  EXPECT_FALSE(apply_header_edits(fields, std::vector<HeaderEdit>{{Kind::remove, "X-Forwarded-For", ""}}));
}

TEST(H2HeaderEdit, RefusedEditsLeaveTheBlockAlone) {
  auto fields = request({{"te", "trailers"}});
  const auto before = fields;
  const std::vector<HeaderEdit> refused = {{Kind::set, ":authority", "evil.test"}, {Kind::remove, ":path", ""},
                                           {Kind::set, "Host", "evil.test"}, {Kind::remove, "TE", ""},
                                           {Kind::set, "Connection", "close"}, {Kind::set, "X-A", "a\r\nb"}};
  EXPECT_FALSE(apply_header_edits(fields, refused));
  EXPECT_EQ(fields, before);
}

TEST(H2HeaderEdit, EditsApplyInOrder) {
  auto fields = request({{"x-a", "1"}});
  EXPECT_TRUE(apply_header_edits(fields, std::vector<HeaderEdit>{{Kind::remove, "x-a", ""},
                                                                 {Kind::set, "X-A", "2"},
                                                                 {Kind::set, "X-B", "3"},
                                                                 {Kind::remove, "X-B", ""}}));
  EXPECT_EQ(fields, request({{"x-a", "2"}}));
}

}  // namespace
}  // namespace tlsgate::http::h2

// Header rules on an HTTP/1 head: sets replace every field of their name in place or append,
// removes drop every one, in the order given; untouched lines keep their bytes; refused edits
// change nothing.
#include <gtest/gtest.h>

#include <vector>

#include "gateway/http/http1_head.hpp"
#include "gateway/http/http1_header_edit.hpp"

namespace tlsgate::http::h1 {
namespace {

using Kind = HeaderEdit::Kind;

struct RewriteCase {
  const char* name;
  std::string head;
  std::vector<HeaderEdit> edits;
  std::string want;  // empty: unchanged
};

std::vector<RewriteCase> rewrite_cases() {
  const std::string get = "GET / HTTP/1.1\r\n";
  const std::string host = "Host: a.test\r\n";
  const HeaderEdit set_yt{Kind::set, "YouTube-Restrict", "Strict"};
  const HeaderEdit remove_xff{Kind::remove, "X-Forwarded-For", ""};
  return {
      {"set_appends_after_the_last_field", get + host + "Accept: */*\r\n\r\n", {set_yt},
       get + host + "Accept: */*\r\nYouTube-Restrict: Strict\r\n\r\n"},
      {"set_replaces_in_place_any_case_and_drops_repeats",
       get + "youtube-restrict:Moderate\r\n" + host + "YOUTUBE-RESTRICT: Off \r\n\r\n", {set_yt},
       get + "YouTube-Restrict: Strict\r\n" + host + "\r\n"},
      {"remove_drops_every_one", get + "X-Forwarded-For: 1.2.3.4\r\n" + host + "x-forwarded-for: 5.6.7.8\r\n\r\n",
       {remove_xff}, get + host + "\r\n"},
      {"remove_of_an_absent_field_changes_nothing", get + host + "\r\n", {remove_xff}, ""},
      {"edits_apply_in_order", get + host + "X-A: 1\r\n\r\n",
       {{Kind::remove, "X-A", ""}, {Kind::set, "X-A", "2"}, {Kind::set, "X-B", "3"}, {Kind::remove, "x-b", ""}},
       get + host + "X-A: 2\r\n\r\n"},
      {"refused_edits_are_skipped", get + host + "Content-Length: 3\r\n\r\n",
       {{Kind::set, "Host", "evil.test"}, {Kind::remove, "Content-Length", ""},
        {Kind::set, "X-A", "v\r\nHost: evil.test"}, {Kind::set, "Transfer-Encoding", "chunked"}},
       ""},
      {"a_refused_edit_beside_an_allowed_one", get + host + "\r\n",
       {{Kind::set, "Host", "evil.test"}, set_yt}, get + host + "YouTube-Restrict: Strict\r\n\r\n"},
      {"leading_empty_lines_are_kept", "\r\n" + get + host + "\r\n", {set_yt},
       "\r\n" + get + host + "YouTube-Restrict: Strict\r\n\r\n"},
      {"http10_without_fields", "GET /old HTTP/1.0\r\n\r\n", {set_yt},
       "GET /old HTTP/1.0\r\nYouTube-Restrict: Strict\r\n\r\n"},
      {"value_with_colon_in_an_untouched_line", get + "X-Url: http://a:1/\r\n" + host + "\r\n", {remove_xff}, ""},
  };
}

class Http1HeaderEdit : public ::testing::TestWithParam<RewriteCase> {};

TEST_P(Http1HeaderEdit, Rewrites) {
  const RewriteCase& c = GetParam();
  HeadScanner scanner;
  const auto size = scanner.scan(c.head, 64 * 1024, 100);
  ASSERT_TRUE(size.is_complete());
  ASSERT_EQ(size.value, c.head.size());
  std::string out = "before|";
  const bool changed = append_edited_head(c.head, scanner.start(), c.edits, out);
  EXPECT_EQ(changed, !c.want.empty());
  EXPECT_EQ(out, "before|" + (c.want.empty() ? c.head : c.want));
  // What goes up parses as strictly as what came in, with the same authority.
  const std::string_view sent = std::string_view(out).substr(7);
  HeadScanner again;
  const auto resized = again.scan(sent, 64 * 1024, 100);
  ASSERT_TRUE(resized.is_complete());
  const auto before = parse_request_head(c.head, scanner.start());
  const auto after = parse_request_head(sent, again.start());
  ASSERT_TRUE(after.is_complete()) << after.detail;
  EXPECT_EQ(after.value.host, before.value.host);
  EXPECT_EQ(after.value.body.kind, before.value.body.kind);
}

INSTANTIATE_TEST_SUITE_P(Cases, Http1HeaderEdit, ::testing::ValuesIn(rewrite_cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace tlsgate::http::h1

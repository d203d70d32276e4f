// The header rules of each forwarded request reach its exchange's http event: HTTP/1 requests
// by their order, h2 ones by stream; refused edits are not listed; notes are bounded.
#include "gateway/flow/header_rule_notes.hpp"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

using Kind = http::HeaderEdit::Kind;
using Rules = std::vector<std::string>;

const std::vector<http::HeaderEdit> safe_search = {{Kind::set, "YouTube-Restrict", "Strict"},
                                                   {Kind::remove, "X-Forwarded-For", ""}};

http::RequestHead head(std::string version, std::uint32_t stream = 0) {
  http::RequestHead h;
  h.version = std::move(version);
  h.stream_id = stream;
  return h;
}

http::HttpExchange exchange(std::string version, std::uint32_t stream = 0) {
  http::HttpExchange e;
  e.http_version = std::move(version);
  e.stream_id = stream;
  return e;
}

TEST(HeaderRuleNotes, Http1RequestsByTheirOrder) {
  HeaderRuleNotes notes;
  notes.forwarded(head("1.1"), {});
  notes.forwarded(head("1.1"), {{Kind::set, "Host", "evil.test"}, safe_search[0]});
  notes.forwarded(head("1.0"), safe_search);
  EXPECT_EQ(notes.take(exchange("1.1")), Rules{});
  EXPECT_EQ(notes.take(exchange("1.1")), Rules{"set YouTube-Restrict"});
  EXPECT_EQ(notes.take(exchange("1.0")), (Rules{"set YouTube-Restrict", "remove X-Forwarded-For"}));
  EXPECT_EQ(notes.take(exchange("1.1")), Rules{});
}

TEST(HeaderRuleNotes, H2StreamsInAnyOrderAndOnlyOnce) {
  HeaderRuleNotes notes;
  notes.forwarded(head("2", 1), safe_search);
  notes.forwarded(head("2", 3), {});
  notes.forwarded(head("2", 5), {safe_search[1]});
  EXPECT_EQ(notes.take(exchange("2", 5)), Rules{"remove X-Forwarded-For"});
  EXPECT_EQ(notes.take(exchange("2", 3)), Rules{});
  EXPECT_EQ(notes.take(exchange("2", 1)).size(), 2u);
  EXPECT_EQ(notes.take(exchange("2", 1)), Rules{});
}

TEST(HeaderRuleNotes, OnlyRefusedEditsNoteNothing) {
  HeaderRuleNotes notes;
  notes.forwarded(head("2", 1), {{Kind::set, ":path", "/x"}, {Kind::remove, "Content-Length", ""}});
  EXPECT_EQ(notes.take(exchange("2", 1)), Rules{});
}

TEST(HeaderRuleNotes, UnloggedNotesAreBounded) {
  HeaderRuleNotes notes;
  const std::uint32_t n = HeaderRuleNotes::max_notes + 10;
  for (std::uint32_t i = 0; i < n; ++i) notes.forwarded(head("2", 2 * i + 1), safe_search);
  EXPECT_EQ(notes.take(exchange("2", 1)), Rules{});  // the oldest went first
  EXPECT_EQ(notes.take(exchange("2", 2 * (n - 1) + 1)).size(), 2u);
}

}  // namespace
}  // namespace tlsgate

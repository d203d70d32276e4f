// A head read from bytes split anywhere: complete at every split with what it used of the last
// input, need-more until then, an error past the bounds, and what is held given back whole.
#include <gtest/gtest.h>

#include <string>

#include "gateway/http/http1_partial_head.hpp"

namespace tlsgate::http::h1 {
namespace {

HttpLimits limits(std::size_t max_header_bytes = 1024) {
  HttpLimits l;
  l.max_header_bytes = max_header_bytes;
  l.max_header_fields = 8;
  return l;
}

const std::string head = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";

TEST(PartialHead, CompleteAtEverySplit) {
  const std::string bytes = head + "hello";
  for (std::size_t split = 0; split <= head.size(); ++split) {
    SCOPED_TRACE(split);
    PartialHead partial;
    const auto first = partial.read(std::string_view(bytes).substr(0, split), limits());
    if (split == head.size()) {
      ASSERT_EQ(first.status, PartialHead::Status::complete);
      EXPECT_EQ(first.head, head);
      continue;
    }
    EXPECT_EQ(first.status, PartialHead::Status::need_more);
    EXPECT_EQ(partial.holding(), split > 0);
    const auto second = partial.read(std::string_view(bytes).substr(split), limits());
    ASSERT_EQ(second.status, PartialHead::Status::complete);
    EXPECT_EQ(second.head, head);
    EXPECT_EQ(second.used, head.size() - split);  // "hello" is not the head's
    EXPECT_EQ(second.start, 0u);
    EXPECT_FALSE(partial.holding());  // the next head starts afresh
  }
}

TEST(PartialHead, ErrorKeepsEverything) {
  PartialHead partial;
  EXPECT_EQ(partial.read("GET / HTTP/1.1\r\nHost: a", limits(24)).status, PartialHead::Status::need_more);
  const auto read = partial.read("\r\nX: 1234567890\r\n\r\n", limits(24));
  ASSERT_EQ(read.status, PartialHead::Status::error);
  EXPECT_FALSE(read.detail.empty());
  EXPECT_EQ(partial.take(), "GET / HTTP/1.1\r\nHost: a\r\nX: 1234567890\r\n\r\n");
  EXPECT_FALSE(partial.holding());
}

}  // namespace
}  // namespace tlsgate::http::h1

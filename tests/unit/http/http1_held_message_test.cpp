// A message held for a scan: its bytes as sent (head kept or not), the payload de-chunked, the
// body's size as sent, and what is given back when the hold is given up on.
#include <gtest/gtest.h>

#include <string>

#include "gateway/http/http1_held_message.hpp"

namespace tlsgate::http::h1 {
namespace {

const std::string head = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
const std::string chunks = "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n";

TEST(HeldMessage, ChunkedBodyAtEverySplit) {
  for (std::size_t split = 0; split <= chunks.size(); ++split) {
    SCOPED_TRACE(split);
    HeldMessage held;
    held.start(head, true, BodyFraming{BodyKind::chunked, 0}, "POST /up HTTP/1.1\r\nHost: a\r\n\r\n", HttpLimits{});
    const BodyStep first = held.consume(std::string_view(chunks).substr(0, split));
    EXPECT_EQ(first.used, split);
    EXPECT_EQ(held.body_bytes(), split);
    if (!first.done) {
      const BodyStep second = held.consume(chunks.substr(split) + "GET");
      EXPECT_TRUE(second.done);
      EXPECT_EQ(second.used, chunks.size() - split);  // "GET" is the next message's
    }
    auto complete = held.complete();
    ASSERT_TRUE(complete);
    EXPECT_EQ(complete->bytes, head + chunks);
    EXPECT_EQ(complete->head, head);
    EXPECT_EQ(complete->body, "hello");
    EXPECT_EQ(complete->request_head, "POST /up HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_FALSE(held.holding());
  }
}

TEST(HeldMessage, HeadAlreadyForwarded) {
  HeldMessage held;
  held.start(head, false, BodyFraming{BodyKind::length, 5}, "", HttpLimits{});
  EXPECT_TRUE(held.consume("hello").done);
  auto complete = held.complete();
  ASSERT_TRUE(complete);
  EXPECT_EQ(complete->bytes, "hello");  // only what was held
  EXPECT_EQ(complete->head, head);      // the scan still gets the head
}

TEST(HeldMessage, GivenUpOn) {
  HeldMessage held;
  held.start(head, true, BodyFraming{BodyKind::chunked, 0}, "", HttpLimits{});
  held.consume("3\r\nhe");
  const BodyFramer framer = held.framer();  // where the body's framing is, for the rest to pass
  EXPECT_EQ(held.take_bytes(), head + "3\r\nhe");
  EXPECT_FALSE(held.holding());
  BodyFramer rest = framer;
  EXPECT_TRUE(rest.consume("l\r\n0\r\n\r\n").done);
}

}  // namespace
}  // namespace tlsgate::http::h1

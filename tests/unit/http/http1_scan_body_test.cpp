// A message body in a scan framer: what passes, what is held and how it ends (complete, past
// the bound, unframable, cut short), and what follows it (the next head, or everything unread).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/http/http1_scan_body.hpp"

namespace tlsgate::http::h1 {
namespace {

ScanFramerSettings settings(std::size_t max_body_bytes, bool pass_on_overflow) {
  ScanFramerSettings s;
  s.max_body_bytes = max_body_bytes;
  s.pass_on_overflow = pass_on_overflow;
  s.scans_content_type = [](std::string_view type) { return type != "image/png"; };
  return s;
}

const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

TEST(ScanBody, HeldThenTheNextHead) {
  const auto s = settings(16, false);
  ScanBody body(s, "response");
  std::vector<ScanStep> out;
  body.message(head, {BodyKind::length, 5}, "GET / HTTP/1.1\r\n\r\n", false, out);
  EXPECT_TRUE(out.empty());
  const std::string bytes = "helloHTTP/1.1";
  std::size_t pos = 0;
  body.consume(bytes, pos, out);
  EXPECT_EQ(pos, 5u);  // the rest is the next head's
  EXPECT_TRUE(body.at_head());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, ScanStepKind::scan);
  EXPECT_EQ(out[0].bytes, head + "hello");
  EXPECT_EQ(out[0].request_head, "GET / HTTP/1.1\r\n\r\n");
}

TEST(ScanBody, WhatPassesAtOnce) {
  const auto s = settings(16, false);
  ScanBody body(s, "request");
  std::vector<ScanStep> out;
  body.message(head, {}, "", true, out);  // no body, then everything unread
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].no_body);
  EXPECT_EQ(out[1].bytes, head);
  std::size_t pos = 0;
  body.consume("\x81\x05hello", pos, out);
  EXPECT_EQ(out.back().bytes, head + "\x81\x05hello");
  ScanBody image(s, "request");
  out.clear();
  image.message("PUT / HTTP/1.1\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\n", {BodyKind::length, 3}, "",
                false, out);
  pos = 0;
  image.consume("abc", pos, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].reason, "content type not scanned");
  EXPECT_TRUE(image.at_head());
}

TEST(ScanBody, HowAHoldEnds) {
  {  // past the bound, blocking: nothing more passes
    const auto s = settings(4, false);
    ScanBody body(s, "request");
    std::vector<ScanStep> out;
    body.message(head, {BodyKind::chunked, 0}, "", false, out);
    std::size_t pos = 0;
    body.consume("5\r\nhello\r\n0\r\n\r\n", pos, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, ScanStepKind::overflow);
    EXPECT_EQ(out[0].bytes, "");
    EXPECT_TRUE(body.stopped());
  }
  {  // unframable, allowing: the held bytes and everything after pass
    const auto s = settings(64, true);
    ScanBody body(s, "request");
    std::vector<ScanStep> out;
    body.message(head, {BodyKind::chunked, 0}, "", false, out);
    std::size_t pos = 0;
    body.consume("zz\r\nmore", pos, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].reason, "http1 request: bad chunk size");
    EXPECT_EQ(out[0].bytes, head + "zz\r\nmore");
  }
  {  // a body that ends with the connection
    const auto s = settings(64, false);
    ScanBody body(s, "response");
    std::vector<ScanStep> out;
    body.message(head, {BodyKind::until_close, 0}, "", false, out);
    std::size_t pos = 0;
    body.consume("all of it", pos, out);
    body.closed("", out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].body, "all of it");
  }
  {  // a head cut short
    const auto s = settings(64, true);
    ScanBody body(s, "request");
    std::vector<ScanStep> out;
    body.closed("POST / HT", out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].reason, "closed before the request ended");
    EXPECT_EQ(out[0].bytes, "POST / HT");
  }
}

}  // namespace
}  // namespace tlsgate::http::h1

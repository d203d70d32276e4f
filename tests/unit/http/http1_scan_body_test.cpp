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

// The bytes after a message's head: no further head is expected to complete.
void feed(ScanBody& body, std::string_view bytes, std::vector<ScanStep>& out) {
  PartialHead partial;
  body.frame(bytes, partial, parse_response_head, [](std::string_view, const Head&) { FAIL() << "a head"; }, out);
}

TEST(ScanBody, HeldThenTheNextHead) {
  const auto s = settings(16, false);
  ScanBody body(s, "response");
  std::vector<ScanStep> out;
  body.message(head, {BodyKind::length, 5}, "GET / HTTP/1.1\r\n\r\n", false, out);
  EXPECT_TRUE(out.empty());
  PartialHead partial;
  int heads = 0;
  body.frame("helloHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1", partial, parse_response_head,
             [&](std::string_view, const Head& h) { heads += h.response.status == 204; }, out);
  EXPECT_EQ(heads, 1);  // the rest is the next heads'
  EXPECT_TRUE(partial.holding());
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
  feed(body, "\x81\x05hello", out);
  EXPECT_EQ(out.back().bytes, head + "\x81\x05hello");
  ScanBody image(s, "request");
  out.clear();
  image.message("PUT / HTTP/1.1\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\n", {BodyKind::length, 3}, "",
                false, out);
  feed(image, "abc", out);
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
    feed(body, "5\r\nhello\r\n0\r\n\r\n", out);
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
    feed(body, "zz\r\nmore", out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].reason, "http1 request: bad chunk size");
    EXPECT_EQ(out[0].bytes, head + "zz\r\nmore");
  }
  {  // a body that ends with the connection
    const auto s = settings(64, false);
    ScanBody body(s, "response");
    std::vector<ScanStep> out;
    body.message(head, {BodyKind::until_close, 0}, "", false, out);
    feed(body, "all of it", out);
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

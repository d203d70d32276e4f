// Request framing for content scanning of uploads: which requests are held (head included),
// what passes at once, the payload a scanner gets (chunked framing removed) and the bytes kept to
// forward (exactly as sent), the bound, what cannot be framed; the same steps at every split point.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/http/http1_request_scan_framer.hpp"
#include "tests/support/scan_steps.hpp"

namespace tlsgate::http::h1 {
namespace {

using test::joined;
using test::kinds;
using test::scan_settings;

// The client's bytes split at `split`, then the close when `closed`.
std::vector<ScanStep> run(ScanFramerSettings s, const std::string& requests, std::size_t split, bool closed = false) {
  RequestScanFramer framer(std::move(s));
  std::vector<ScanStep> out;
  framer.from_client(std::string_view(requests).substr(0, split), out);
  framer.from_client(std::string_view(requests).substr(split), out);
  if (closed) framer.client_closed(out);
  return joined(out);
}

const std::string get = "GET /a HTTP/1.1\r\nHost: files.test\r\n\r\n";
const std::string post_head =
    "POST /up?x=1 HTTP/1.1\r\nHost: files.test\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n";
const std::string chunked_head = "POST /up HTTP/1.1\r\nhost: files.test\r\nTransfer-Encoding: chunked\r\n\r\n";
const std::string chunks = "3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nX-T: 1\r\n\r\n";

TEST(RequestScanFramer, HeldWholeAtEverySplit) {
  const std::string requests = get + post_head + "hello" + chunked_head + chunks + get;
  for (std::size_t split = 0; split <= requests.size(); ++split) {
    SCOPED_TRACE(split);
    const auto steps = run(scan_settings(), requests, split);
    ASSERT_EQ(kinds(steps), "no_body,forward,scan,scan,no_body,forward");
    EXPECT_EQ(steps[1].bytes, get);
    EXPECT_EQ(steps[2].head, post_head);  // the whole head goes to the ICAP service
    EXPECT_EQ(steps[2].body, "hello");
    EXPECT_EQ(steps[2].bytes, post_head + "hello");  // forwarded as sent on a clean verdict
    EXPECT_EQ(steps[2].request_head, "POST /up?x=1 HTTP/1.1\r\nHost: files.test\r\n\r\n");
    EXPECT_EQ(steps[3].body, "hello");
    EXPECT_EQ(steps[3].bytes, chunked_head + chunks);  // byte-identical, chunk framing and trailer kept
    EXPECT_EQ(steps[4].kind, ScanStepKind::skipped);
    EXPECT_EQ(steps[5].bytes, get);
  }
}

struct PassCase {
  const char* name;
  std::string requests;
  std::string kinds;
};

TEST(RequestScanFramer, WhatPassesAtOnce) {
  const std::string image = "PUT /i HTTP/1.1\r\nHost: a\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\nabc";
  const std::string upgrade = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n";
  const PassCase cases[] = {
      {"no body", get + get, "no_body,forward,no_body,forward"},
      {"Content-Length 0", "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "no_body,forward"},
      {"content type not scanned", image + get, "skipped,forward,no_body,forward"},
      {"after an Upgrade request, unread", upgrade + post_head + "hello", "no_body,forward"},
      {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n" + post_head + "hello", "no_body,forward"},
      {"h2 with prior knowledge", std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0", 33), "forward"},
      {"the start of an h2 preface, then HTTP/1", "PRI /x HTTP/1.1\r\nHost: a\r\n\r\n" + get,
       "no_body,forward,no_body,forward"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (std::size_t split = 0; split <= c.requests.size(); ++split) {
      SCOPED_TRACE(split);
      const auto steps = run(scan_settings(), c.requests, split);
      EXPECT_EQ(kinds(steps), c.kinds);
      std::string forwarded;
      for (const auto& s : steps) forwarded += s.bytes;
      EXPECT_EQ(forwarded, c.requests);  // every byte comes out once, in order
    }
  }
}

TEST(RequestScanFramer, CutShort) {
  auto steps = run(scan_settings(), post_head + "hel", 10, true);
  ASSERT_EQ(kinds(steps), "overflow");
  EXPECT_EQ(steps[0].reason, "closed before the request ended");
  EXPECT_EQ(steps[0].bytes, "");  // blocking: nothing of it is forwarded
  steps = run(scan_settings(1024, true), post_head + "hel", 10, true);
  ASSERT_EQ(kinds(steps), "overflow");
  EXPECT_EQ(steps[0].bytes, post_head + "hel");  // allowing: what came goes on
  steps = run(scan_settings(), get, get.size(), true);
  EXPECT_EQ(kinds(steps), "no_body,forward");  // a close between requests is no overflow
}

TEST(RequestScanFramer, HttpVersionKept) {
  const auto steps = run(scan_settings(), "PUT /f HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi", 0);
  ASSERT_EQ(kinds(steps), "scan");
  EXPECT_EQ(steps[0].request_head, "PUT /f HTTP/1.0\r\n\r\n");  // no Host: none given
}

TEST(RequestScanFramer, PastTheBoundBlocks) {
  const std::string big = "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n01234567890123456789";
  for (std::size_t split = 0; split <= big.size(); ++split) {
    SCOPED_TRACE(split);
    RequestScanFramer framer(scan_settings(10, false));
    std::vector<ScanStep> out;
    framer.from_client(std::string_view(big).substr(0, split), out);
    framer.from_client(std::string_view(big).substr(split), out);
    framer.from_client(get, out);
    ASSERT_EQ(kinds(joined(out)), "overflow");
    EXPECT_EQ(out[0].reason, "body of 20 bytes past max_bytes (10)");
    EXPECT_EQ(out[0].request_head, "POST /b HTTP/1.1\r\nHost: a\r\n\r\n");  // for the withheld request's line
    EXPECT_TRUE(framer.stopped());
  }
}

TEST(RequestScanFramer, PastTheBoundPasses) {
  const std::string body = "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n";
  const std::string requests = chunked_head + body + post_head + "hello";
  for (std::size_t split = 0; split <= requests.size(); ++split) {
    SCOPED_TRACE(split);
    const auto steps = run(scan_settings(16, true), requests, split);
    ASSERT_GE(steps.size(), 2u);
    EXPECT_EQ(steps.front().kind, ScanStepKind::overflow);
    EXPECT_EQ(steps.front().reason, "body past max_bytes (16)");
    std::string passed;
    for (std::size_t i = 0; i + 1 < steps.size(); ++i) passed += steps[i].bytes;
    EXPECT_EQ(passed, chunked_head + body);  // all of it, once, in order
    EXPECT_EQ(steps.back().kind, ScanStepKind::scan);
    EXPECT_EQ(steps.back().body, "hello");  // the next request is scanned again
  }
}

TEST(RequestScanFramer, UnframableRequest) {
  const std::string bad = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
  auto steps = run(scan_settings(1024, true), bad + get, bad.size());
  ASSERT_EQ(kinds(steps), "overflow,forward");
  EXPECT_EQ(steps[0].bytes + steps[1].bytes, bad + get);  // passes unscanned, as on_error allow says
  steps = run(scan_settings(1024, false), bad, bad.size());
  ASSERT_EQ(kinds(steps), "overflow");
  EXPECT_EQ(steps[0].bytes, "");
  steps = run(scan_settings(1024, false), post_head + "hello" + chunked_head + "zz\r\n", 0);
  ASSERT_EQ(kinds(steps), "scan,overflow");  // a broken chunk size: the held request is given up on
  EXPECT_EQ(steps[1].bytes, "");
}

}  // namespace
}  // namespace tlsgate::http::h1

// Response framing for content scanning: which responses are held, what is forwarded at once,
// the payload a scanner gets (chunked framing removed) and the bytes kept to forward (exactly
// as sent), the bound, and what cannot be framed; the same steps at every split point.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/http/http1_scan_framer.hpp"
#include "tests/support/scan_steps.hpp"

namespace tlsgate::http::h1 {
namespace {

using test::joined;
using test::kinds;
using test::scan_settings;

// Requests, then the server's bytes split at `split`, then the close when `closed`.
std::vector<ScanStep> run(ScanFramerSettings s, const std::string& requests, const std::string& responses,
                          std::size_t split, bool closed = false) {
  ScanFramer framer(std::move(s));
  framer.from_client(requests);
  std::vector<ScanStep> out;
  framer.from_server(std::string_view(responses).substr(0, split), out);
  framer.from_server(std::string_view(responses).substr(split), out);
  if (closed) framer.server_closed(out);
  return joined(out);
}

const std::string get = "GET /file HTTP/1.1\r\nHost: files.test\r\n\r\n";
const std::string ok_head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n";
const std::string chunked_head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST(ScanFramer, HeldWholeAtEverySplit) {
  const std::string chunked = "3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nX-T: 1\r\n\r\n";
  const std::string responses = ok_head + "hello" + chunked_head + chunked;
  for (std::size_t split = 0; split <= responses.size(); ++split) {
    SCOPED_TRACE(split);
    const auto steps = run(scan_settings(), get + get, responses, split);
    ASSERT_EQ(kinds(steps), "scan,scan");
    EXPECT_EQ(steps[0].head, ok_head);
    EXPECT_EQ(steps[0].body, "hello");
    EXPECT_EQ(steps[0].bytes, ok_head + "hello");
    EXPECT_EQ(steps[0].request_head, "GET /file HTTP/1.1\r\nHost: files.test\r\n\r\n");
    EXPECT_EQ(steps[1].body, "hello");
    EXPECT_EQ(steps[1].bytes, chunked_head + chunked);  // byte-identical to what the server sent
  }
}

struct PassCase {
  const char* name;
  std::string requests;
  std::string responses;
  std::string kinds;
  std::string reason;  // of the first skipped or overflow step
};

TEST(ScanFramer, WhatPassesAtOnce) {
  const std::string image = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\nabc";
  const PassCase cases[] = {
      {"HEAD has no body", "HEAD /f HTTP/1.1\r\nHost: a\r\n\r\n", ok_head, "no_body,forward", "no body"},
      {"204", get, "HTTP/1.1 204 No Content\r\n\r\n", "no_body,forward", "no body"},
      {"304 with a length", get, "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", "no_body,forward",
       "no body"},
      {"content type not scanned", get, image, "skipped,forward", "content type not scanned"},
      {"interim then final", get, "HTTP/1.1 100 Continue\r\n\r\n" + ok_head + "hello", "forward,scan", ""},
      {"websocket switch", "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", "forward", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto steps = run(scan_settings(), c.requests, c.responses, c.responses.size());
    EXPECT_EQ(kinds(steps), c.kinds);
    std::string forwarded;
    for (const auto& s : steps) forwarded += s.bytes;
    EXPECT_EQ(forwarded, c.responses);  // every byte comes out once, in order
    if (!c.reason.empty()) {
      EXPECT_EQ(steps[0].reason, c.reason);
    }
  }
}

TEST(ScanFramer, BodyThatEndsWithTheConnection) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close";
  auto steps = run(scan_settings(), get, response, 20);
  EXPECT_EQ(kinds(steps), "");  // held until the server closes
  steps = run(scan_settings(), get, response, 20, true);
  ASSERT_EQ(kinds(steps), "scan");
  EXPECT_EQ(steps[0].body, "until close");
}

TEST(ScanFramer, CutShort) {
  const auto steps = run(scan_settings(), get, ok_head + "hel", 10, true);
  ASSERT_EQ(kinds(steps), "overflow");
  EXPECT_EQ(steps[0].reason, "closed before the response ended");
  EXPECT_EQ(steps[0].bytes, "");  // blocking: nothing of it is delivered
}

TEST(ScanFramer, PastTheBoundBlocks) {
  const std::string big = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789";
  for (std::size_t split = 0; split <= big.size(); ++split) {
    SCOPED_TRACE(split);
    ScanFramer framer(scan_settings(10, false));
    framer.from_client(get + get);
    std::vector<ScanStep> out;
    framer.from_server(std::string_view(big).substr(0, split), out);
    framer.from_server(std::string_view(big).substr(split), out);
    framer.from_server(ok_head + "hello", out);
    ASSERT_EQ(kinds(joined(out)), "overflow");
    EXPECT_EQ(out[0].reason, "body of 20 bytes past max_bytes (10)");
    EXPECT_TRUE(framer.stopped());
  }
}

TEST(ScanFramer, PastTheBoundPasses) {
  const std::string chunks = "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n";
  const std::string responses = chunked_head + chunks + ok_head + "hello";
  for (std::size_t split = 0; split <= responses.size(); ++split) {
    SCOPED_TRACE(split);
    const auto steps = run(scan_settings(16, true), get + get, responses, split);
    ASSERT_GE(steps.size(), 2u);
    EXPECT_EQ(steps.front().kind, ScanStepKind::overflow);
    EXPECT_EQ(steps.front().reason, "body past max_bytes (16)");
    std::string passed;
    for (std::size_t i = 0; i + 1 < steps.size(); ++i) passed += steps[i].bytes;
    EXPECT_EQ(passed, chunked_head + chunks);  // all of it, once, in order
    EXPECT_EQ(steps.back().kind, ScanStepKind::scan);
    EXPECT_EQ(steps.back().body, "hello");  // the next response is scanned again
  }
}

TEST(ScanFramer, UnframableResponse) {
  const std::string bad = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
  auto steps = run(scan_settings(1024, true), get, bad, bad.size());
  ASSERT_EQ(kinds(steps), "overflow");
  EXPECT_EQ(steps[0].bytes, bad);  // passes unscanned, as on_error allow says
  steps = run(scan_settings(1024, false), get, bad, bad.size());
  ASSERT_EQ(kinds(steps), "overflow");
  EXPECT_EQ(steps[0].bytes, "");
}

TEST(ScanFramer, ResponsesAfterARefusedSwitchAreNotGuessed) {
  const std::string upgrade = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n";
  const std::string refused = "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n";
  const auto steps = run(scan_settings(1024, true), upgrade + get, refused + ok_head + "hello", 0);
  ASSERT_EQ(kinds(steps), "no_body,forward,overflow,forward");
  EXPECT_EQ(steps[2].reason, "http1 requests could not be framed");
  EXPECT_EQ(steps[2].bytes + steps[3].bytes, ok_head + "hello");
}

}  // namespace
}  // namespace tlsgate::http::h1

// HTTP/1 observer: real message bytes, fed whole, at every split point and one byte at a time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/http/observer.hpp"

namespace tlsgate::http {
namespace {

using Bytes = std::span<const std::uint8_t>;

Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

Clock::time_point at_ms(int ms) { return Clock::time_point{} + std::chrono::milliseconds(ms); }

// One conversation step: who speaks and what.
struct Step {
  bool client;
  std::string bytes;
};

enum class Feed { whole, bytewise };

// Replays the steps; with a split point, the step `split_step` is cut at `split` into two calls.
std::unique_ptr<Observer> replay(const std::vector<Step>& steps, HttpLimits limits, Feed feed,
                                 bool close = true) {
  auto obs = make_http1_observer(limits, "https");
  int ms = 0;
  for (const auto& step : steps) {
    const auto send = [&](std::string_view part) {
      ms += 1;
      if (step.client) {
        obs->on_client_bytes(as_bytes(part), at_ms(ms));
      } else {
        obs->on_server_bytes(as_bytes(part), at_ms(ms));
      }
    };
    if (feed == Feed::whole) {
      send(step.bytes);
    } else {
      for (char c : step.bytes) send(std::string_view(&c, 1));
    }
  }
  if (close) obs->on_close(at_ms(++ms));
  return obs;
}

std::vector<HttpExchange> run_both(const std::vector<Step>& steps, HttpLimits limits = {}) {
  auto whole = replay(steps, limits, Feed::whole);
  auto bytewise = replay(steps, limits, Feed::bytewise);
  EXPECT_FALSE(whole->failed()) << whole->failure();
  EXPECT_FALSE(bytewise->failed()) << bytewise->failure();
  auto a = whole->take_exchanges();
  auto b = bytewise->take_exchanges();
  EXPECT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    // Timings differ by feed; everything else must match.
    auto ja = to_json(a[i]);
    auto jb = to_json(b[i]);
    ja.erase("timings");
    jb.erase("timings");
    EXPECT_EQ(ja, jb) << "exchange " << i;
  }
  return a;
}

TEST(Http1Observer, KeepAliveTwoExchanges) {
  const auto ex = run_both({
      {true, "GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"},
      {true, "POST /b?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc"},
      {false, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"},
  });
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].method, "GET");
  EXPECT_EQ(ex[0].path, "/a");
  EXPECT_EQ(ex[0].authority, "example.com");
  EXPECT_EQ(ex[0].scheme, "https");
  EXPECT_EQ(ex[0].http_version, "1.1");
  EXPECT_EQ(ex[0].status, 200);
  EXPECT_EQ(ex[0].response_body_bytes, 5u);
  EXPECT_EQ(ex[0].response_content_type, "text/plain");
  EXPECT_EQ(ex[0].request_headers.value("user-agent"), "t");
  EXPECT_FALSE(ex[0].error);
  EXPECT_EQ(ex[1].method, "POST");
  EXPECT_EQ(ex[1].path, "/b?x=1");
  EXPECT_EQ(ex[1].request_body_bytes, 3u);
  EXPECT_EQ(ex[1].status, 201);
}

TEST(Http1Observer, TimingsFromRequestStart) {
  auto obs = make_http1_observer({}, "http");
  obs->on_client_bytes(as_bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), at_ms(100));
  obs->on_server_bytes(as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"), at_ms(130));
  EXPECT_TRUE(obs->take_exchanges().empty());
  obs->on_server_bytes(as_bytes("cd"), at_ms(175));
  const auto ex = obs->take_exchanges();
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_DOUBLE_EQ(*ex[0].ms_to_first_byte, 30.0);
  EXPECT_DOUBLE_EQ(*ex[0].ms_to_end, 75.0);
  EXPECT_EQ(obs->exchange_count(), 1u);
}

TEST(Http1Observer, PipelinedRequests) {
  const auto ex = run_both({
      {true,
       "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: "
       "h\r\n\r\n"},
      {false,
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
       "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx"},
  });
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].path, "/1");
  EXPECT_EQ(ex[0].response_body_bytes, 2u);
  EXPECT_EQ(ex[1].method, "HEAD");
  EXPECT_EQ(ex[1].status, 200);
  EXPECT_EQ(ex[1].response_body_bytes, 0u);  // HEAD: Content-Length describes a body never sent
  EXPECT_EQ(ex[1].response_headers.value("content-length"), "1000");
  EXPECT_EQ(ex[2].path, "/3");
  EXPECT_EQ(ex[2].status, 404);
}

TEST(Http1Observer, ChunkedWithTrailers) {
  const auto ex = run_both({
      {true,
       "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
       "chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n"},
      {false,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
       "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n10\r\n0123456789abcdef\r\n0\r\nX-Checksum: 42\r\n\r\n"},
  });
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_body_bytes, 9u);
  EXPECT_EQ(ex[0].response_body_bytes, 42u);
  EXPECT_EQ(ex[0].response_headers.value("x-checksum"), "42");  // trailers join the headers
  EXPECT_FALSE(ex[0].error);
}

TEST(Http1Observer, ExpectContinue) {
  const auto ex = run_both({
      {true, "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\n"},
      {false, "HTTP/1.1 100 Continue\r\n\r\n"},
      {true, "abcdef"},
      {false, "HTTP/1.1 204 No Content\r\nX-Final: yes\r\n\r\n"},
  });
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].status, 204);
  EXPECT_EQ(ex[0].request_body_bytes, 6u);
  EXPECT_EQ(ex[0].response_headers.to_json(), (nlohmann::ordered_json{{"x-final", "yes"}}));
}

TEST(Http1Observer, NotModifiedHasNoBody) {
  const auto ex = run_both({
      {true, "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n"},
      {false, "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\nETag: \"x\"\r\n\r\n"},
      {true, "GET /d HTTP/1.1\r\nHost: h\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!"},
  });
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].status, 304);
  EXPECT_EQ(ex[0].response_body_bytes, 0u);
  EXPECT_EQ(ex[1].response_body_bytes, 1u);
}

TEST(Http1Observer, ResponseEndedByClose) {
  const auto ex = run_both({
      {true, "GET /old HTTP/1.0\r\nHost: h\r\n\r\n"},
      {false, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>until close</html>"},
  });
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].http_version, "1.0");
  EXPECT_EQ(ex[0].response_body_bytes, 24u);
  EXPECT_FALSE(ex[0].error);
  EXPECT_TRUE(ex[0].ms_to_end);
}

TEST(Http1Observer, CloseBeforeResponseEnd) {
  const auto ex = run_both({
      {true, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
  });
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].error, "connection closed before response end");
  EXPECT_EQ(ex[0].response_body_bytes, 3u);
  EXPECT_FALSE(ex[0].ms_to_end);
  EXPECT_EQ(ex[1].error, "connection closed before response");
  EXPECT_FALSE(ex[1].status);
}

TEST(Http1Observer, EarlyResponseDuringUpload) {
  const auto ex = run_both({
      {true, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabcd"},
      {false, "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
      {true, "efghij"},
  });
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].status, 413);
  EXPECT_EQ(ex[0].request_body_bytes, 4u);  // as far as it came when the response ended
  EXPECT_FALSE(ex[0].error);
}

TEST(Http1Observer, ResponseWithoutRequest) {
  const auto ex = run_both({
      {false, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
  });
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].status, 408);
  EXPECT_EQ(ex[0].method, "");
}

TEST(Http1Observer, TooManyPipelinedRequests) {
  std::string burst;
  for (int i = 0; i < 65; ++i) burst += "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  auto obs = replay({{true, burst}}, {}, Feed::whole);
  ASSERT_TRUE(obs->failed());
  EXPECT_EQ(obs->failure(), "http1: more than 64 requests without a response");
}

TEST(Http1Observer, WebSocketUpgrade) {
  for (Feed feed : {Feed::whole, Feed::bytewise}) {
    auto obs = replay(
        {
            {true,
             "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"},
            {false,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi"},
            {true, std::string("\x81\x85\x01\x02\x03\x04GET /", 11)},
            {false, "HTTP/1.1 200 OK\r\n"},
        },
        {}, feed);
    EXPECT_FALSE(obs->failed()) << obs->failure();
    EXPECT_TRUE(obs->websocket());
    EXPECT_EQ(obs->websocket_bytes(), 4u + 11u + 17u);
    const auto ex = obs->take_exchanges();
    ASSERT_EQ(ex.size(), 1u);
    EXPECT_EQ(ex[0].status, 101);
    EXPECT_FALSE(ex[0].error);
  }
}

TEST(Http1Observer, RefusedUpgradeParsesOn) {
  const auto ex = run_both({
      {true, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
      {true, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"},
      {false,
       "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
  });
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].status, 400);
  EXPECT_EQ(ex[1].path, "/next");
  EXPECT_EQ(ex[1].status, 200);
}

const std::vector<Step> secret_steps = {
    {true,
     "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc\r\nCookie: a=1\r\ncookie: b=2\r\n"
     "Proxy-Authorization: Basic eA==\r\nAccept: x\r\nAccept: y\r\n\r\n"},
    {false, "HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\nSet-Cookie: t=2\r\nContent-Length: 0\r\n\r\n"},
};

TEST(Http1Observer, RedactsSecrets) {
  const auto ex = run_both(secret_steps);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_headers.value("authorization"), "[redacted]");
  EXPECT_EQ(ex[0].request_headers.value("cookie"), "[redacted]");
  EXPECT_EQ(ex[0].request_headers.value("proxy-authorization"), "[redacted]");
  EXPECT_EQ(ex[0].request_headers.value("accept"), "x, y");
  EXPECT_EQ(ex[0].response_headers.value("set-cookie"), "[redacted]");
}

TEST(Http1Observer, RedactionOff) {
  HttpLimits limits;
  limits.redact = false;
  const auto ex = run_both(secret_steps, limits);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_headers.value("authorization"), "Bearer abc");
  EXPECT_EQ(ex[0].request_headers.value("cookie"), "a=1, b=2");
  EXPECT_EQ(ex[0].response_headers.value("set-cookie"), "s=1, t=2");
}

TEST(Http1Observer, BodyCapture) {
  HttpLimits limits;
  limits.body_capture_bytes = 4;
  const auto ex = run_both(
      {
          {true, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"},
          {false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"},
          {true, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
          {false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      },
      limits);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].request_body_b64, "aGk=");
  EXPECT_EQ(ex[0].response_body_b64, "YWJjZA==");  // "abcd": first 4 of 6
  EXPECT_EQ(ex[1].request_body_b64, "");
  const auto j = to_json(ex[0]);
  EXPECT_EQ(j["response"]["body_b64"], "YWJjZA==");
  // Capture off: no body_b64 key at all.
  const auto off = run_both({secret_steps});
  ASSERT_EQ(off.size(), 1u);
  EXPECT_FALSE(to_json(off[0])["request"].contains("body_b64"));
}

TEST(Http1Observer, JsonKeyOrder) {
  const auto ex = run_both(secret_steps);
  ASSERT_EQ(ex.size(), 1u);
  const auto j = to_json(ex[0]);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"http_version", "method", "scheme", "authority", "path", "status",
                                            "request", "response", "timings"}));
  EXPECT_EQ(j["request"].begin().key(), "headers");
  EXPECT_TRUE(j["response"]["content_type"].is_null());
}

TEST(Http1Observer, HeaderLimitExceeded) {
  HttpLimits limits;
  limits.max_header_bytes = 256;
  const std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(400, 'a') + "\r\n\r\n";
  for (Feed feed : {Feed::whole, Feed::bytewise}) {
    auto obs = replay({{true, big}}, limits, feed);
    ASSERT_TRUE(obs->failed());
    EXPECT_EQ(obs->failure(), "http1 request head exceeds max_header_bytes (256)");
    obs->on_server_bytes(as_bytes("HTTP/1.1 200 OK\r\n\r\n"), at_ms(1));  // ignored after failure
    EXPECT_EQ(obs->exchange_count(), 0u);
  }
}

TEST(Http1Observer, GarbageFails) {
  for (const std::string& garbage :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
        std::string("GET / HTTP/9.9\r\n\r\n"), std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n")}) {
    for (Feed feed : {Feed::whole, Feed::bytewise}) {
      auto obs = replay({{true, garbage}}, {}, feed);
      EXPECT_TRUE(obs->failed()) << garbage;
      EXPECT_EQ(obs->failure().rfind("http1 request: ", 0), 0u) << obs->failure();
    }
  }
  auto obs =
      replay({{true, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"}, {false, "HTTP/1.1 abc\r\n\r\n"}}, {}, Feed::whole);
  EXPECT_TRUE(obs->failed());
  EXPECT_EQ(obs->failure().rfind("http1 response: ", 0), 0u) << obs->failure();
}

TEST(Http1Observer, EverySplitPoint) {
  const std::string client =
      "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n"
      "GET /q HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string server =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyzHTTP/1.1 200 OK\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
  for (std::size_t cut = 0; cut <= client.size(); ++cut) {
    for (std::size_t scut : {std::size_t{0}, cut % server.size(), server.size()}) {
      auto obs = make_http1_observer({}, "https");
      obs->on_client_bytes(as_bytes(std::string_view(client).substr(0, cut)), at_ms(1));
      obs->on_client_bytes(as_bytes(std::string_view(client).substr(cut)), at_ms(2));
      obs->on_server_bytes(as_bytes(std::string_view(server).substr(0, scut)), at_ms(3));
      obs->on_server_bytes(as_bytes(std::string_view(server).substr(scut)), at_ms(4));
      ASSERT_FALSE(obs->failed()) << cut << " " << obs->failure();
      const auto ex = obs->take_exchanges();
      ASSERT_EQ(ex.size(), 2u) << cut;
      EXPECT_EQ(ex[0].request_body_bytes, 3u);
      EXPECT_EQ(ex[0].request_headers.value("t"), "1");
      EXPECT_EQ(ex[1].response_body_bytes, 2u);
    }
  }
}

TEST(Http1Observer, InvalidUtf8BecomesSafe) {
  const auto ex = run_both({
      {true, "GET /\xff HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9 \xc0\xaf\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
  });
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_headers.value("x-a"), "caf\xc3\xa9 ??");
  EXPECT_NO_THROW((void)to_json(ex[0]).dump());
}

TEST(Http1Observer, HeaderFieldCapStopsInspectionAndBuildingStaysExact) {
  // ~7,500 empty headers once cost 0.1-0.2 s each (linear find per field); now each field is
  // O(1) and past max_header_fields inspection stops.
  std::string request = "GET /many HTTP/1.1\r\nHost: a.example\r\n";
  for (int i = 0; i < 7500; ++i) request += "x-" + std::to_string(i) + ":\r\n";
  request += "x-1: again\r\n\r\n";
  const std::vector<Step> steps = {{true, request}, {false, "HTTP/1.1 204 No Content\r\n\r\n"}};
  HttpLimits limits;
  limits.max_header_bytes = 1u << 20;
  auto obs = replay(steps, limits, Feed::whole);
  ASSERT_TRUE(obs->failed());
  EXPECT_NE(obs->failure().find("more than 256 header fields"), std::string::npos) << obs->failure();

  limits.max_header_fields = 10000;
  obs = replay(steps, limits, Feed::whole);
  ASSERT_FALSE(obs->failed()) << obs->failure();
  const auto ex = obs->take_exchanges();
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_headers.size(), 7501u);
  EXPECT_EQ(ex[0].request_headers.value("x-1"), ", again");
  EXPECT_EQ(ex[0].request_headers.value("x-7499"), "");
}

TEST(Http1Observer, ExchangeHeaderBytesAreCapped) {
  const std::string value(3000, 'v');
  std::string request = "GET / HTTP/1.1\r\nHost: a.example\r\n";
  for (int i = 0; i < 10; ++i) request += "x-" + std::to_string(i) + ": " + value + "\r\n";
  request += "\r\n";
  const std::vector<Step> steps = {{true, request}, {false, "HTTP/1.1 204 No Content\r\n\r\n"}};
  HttpLimits limits;
  limits.max_exchange_header_bytes = 20000;
  auto obs = replay(steps, limits, Feed::whole);
  ASSERT_TRUE(obs->failed());
  EXPECT_NE(obs->failure().find("header bytes in one exchange"), std::string::npos) << obs->failure();
}

}  // namespace
}  // namespace tlsgate::http

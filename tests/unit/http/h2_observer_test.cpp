// HTTP/2 observer fed real frames: nghttp2 client and server sessions talk to each other in
// memory; the bytes between them are recorded and replayed into the observer whole, one byte at a
// time and in odd-sized pieces.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/observer.hpp"

namespace tlsgate::http {
namespace {

using Bytes = std::span<const std::uint8_t>;

Clock::time_point at_ms(int ms) { return Clock::time_point{} + std::chrono::milliseconds(ms); }

struct Chunk {
  bool client;
  std::string bytes;
};

// The name and value must outlive the submit call: literals or kept strings.
nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

struct Body {
  std::string bytes;
  std::size_t pos = 0;
  bool trailers = false;  // end the stream with a trailer block instead of the last DATA
};

ssize_t read_body(nghttp2_session* session, int32_t stream, std::uint8_t* buf, std::size_t length,
                  std::uint32_t* flags, nghttp2_data_source* source, void*) {
  auto* body = static_cast<Body*>(source->ptr);
  const std::size_t n = std::min(length, body->bytes.size() - body->pos);
  std::copy_n(body->bytes.data() + body->pos, n, buf);
  body->pos += n;
  if (body->pos == body->bytes.size()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (body->trailers) {  // nghttp2 wants trailers submitted from here, after the last DATA
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      static const std::string name = "x-digest", value = "abc";
      const nghttp2_nv trailer = nv(name, value);
      nghttp2_submit_trailer(session, stream, &trailer, 1);
    }
  }
  return static_cast<ssize_t>(n);
}

// A client and a server session wired back to back; every byte between them is recorded.
class H2Pair {
 public:
  // padded: pad HEADERS and DATA; table_bytes: the client's SETTINGS_HEADER_TABLE_SIZE, which the
  // server's encoder then uses in full.
  explicit H2Pair(bool padded = false, std::uint32_t table_bytes = 4096) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &H2Pair::on_frame_recv);
    if (padded) nghttp2_session_callbacks_set_select_padding_callback(cbs, &H2Pair::add_padding);
    nghttp2_session_client_new(&client_, cbs, this);
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_max_deflate_dynamic_table_size(option, table_bytes);
    nghttp2_session_server_new2(&server_, cbs, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(cbs);
    const nghttp2_settings_entry table{NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, table_bytes};
    nghttp2_submit_settings(client_, NGHTTP2_FLAG_NONE, &table, 1);
    nghttp2_submit_settings(server_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~H2Pair() {
    nghttp2_session_del(client_);
    nghttp2_session_del(server_);
  }

  std::int32_t request(const std::string& method, const std::string& path,
                       std::vector<std::pair<std::string, std::string>> extra = {}, Body* body = nullptr) {
    std::vector<std::pair<std::string, std::string>> h = {
        {":method", method}, {":scheme", "https"}, {":authority", "example.com"}, {":path", path}};
    h.insert(h.end(), extra.begin(), extra.end());
    keep_.push_back(h);
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : keep_.back()) nva.push_back(nv(n, v));
    nghttp2_data_provider prd{};
    prd.source.ptr = body;
    prd.read_callback = read_body;
    const auto id =
        nghttp2_submit_request(client_, nullptr, nva.data(), nva.size(), body ? &prd : nullptr, nullptr);
    EXPECT_GT(id, 0);
    return id;
  }

  void respond(std::int32_t stream, const std::string& status,
               std::vector<std::pair<std::string, std::string>> extra, Body* body) {
    std::vector<std::pair<std::string, std::string>> h = {{":status", status}};
    h.insert(h.end(), extra.begin(), extra.end());
    keep_.push_back(h);
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : keep_.back()) nva.push_back(nv(n, v));
    nghttp2_data_provider prd{};
    prd.source.ptr = body;
    prd.read_callback = read_body;
    ASSERT_EQ(nghttp2_submit_response(server_, stream, nva.data(), nva.size(), body ? &prd : nullptr), 0);
  }

  // Moves bytes both ways until both sessions are quiet.
  void pump() {
    for (bool moved = true; moved;) {
      moved = move(client_, server_, true) | move(server_, client_, false);
    }
  }

  nghttp2_session* client() { return client_; }
  nghttp2_session* server() { return server_; }
  std::vector<std::int32_t> requests_done;  // streams whose request ended at the server
  std::vector<Chunk> transcript;

 private:
  bool move(nghttp2_session* from, nghttp2_session* to, bool from_client) {
    const std::uint8_t* data = nullptr;
    bool any = false;
    for (ssize_t n; (n = nghttp2_session_mem_send(from, &data)) > 0;) {
      any = true;
      transcript.push_back(
          {from_client, std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n))});
      EXPECT_EQ(nghttp2_session_mem_recv(to, data, static_cast<std::size_t>(n)), n);
    }
    return any;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2Pair*>(user);
    const bool request_end = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                             (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (session == self->server_ && request_end) self->requests_done.push_back(frame->hd.stream_id);
    return 0;
  }

  static ssize_t add_padding(nghttp2_session*, const nghttp2_frame* frame, std::size_t max_payload, void*) {
    return static_cast<ssize_t>(std::min(frame->hd.length + 17, max_payload));
  }

  nghttp2_session* client_ = nullptr;
  nghttp2_session* server_ = nullptr;
  std::vector<std::vector<std::pair<std::string, std::string>>> keep_;  // nv arrays point into these
};

// Frame types (with flags: type + 256 * flags) in one direction of a transcript, walked by hand
// (RFC 9113 §4.1).
std::multiset<int> frame_types(const std::vector<Chunk>& transcript, bool client, bool with_flags = false) {
  std::string all;
  for (const auto& c : transcript) {
    if (c.client == client) all += c.bytes;
  }
  std::multiset<int> types;
  for (std::size_t i = client ? h2::client_preface.size() : 0; i + 9 <= all.size();) {
    const auto b = [&](std::size_t k) {
      return static_cast<std::size_t>(static_cast<std::uint8_t>(all[i + k]));
    };
    types.insert(static_cast<int>(b(3) + (with_flags ? 256 * b(4) : 0)));
    i += 9 + ((b(0) << 16) | (b(1) << 8) | b(2));
  }
  return types;
}

enum class Feed { whole, bytewise, pieces };

std::unique_ptr<Observer> replay(const std::vector<Chunk>& transcript, HttpLimits limits, Feed feed,
                                 bool cleartext = false) {
  auto obs = cleartext ? make_cleartext_observer(limits) : make_h2_observer(limits, "https");
  int ms = 0;
  for (const auto& c : transcript) {
    std::size_t step = feed == Feed::whole ? c.bytes.size() : feed == Feed::bytewise ? 1 : 7;
    for (std::size_t i = 0; i < c.bytes.size(); i += step) {
      const auto part = std::string_view(c.bytes).substr(i, step);
      const Bytes b(reinterpret_cast<const std::uint8_t*>(part.data()), part.size());
      ++ms;
      if (c.client) {
        obs->on_client_bytes(b, at_ms(ms));
      } else {
        obs->on_server_bytes(b, at_ms(ms));
      }
    }
  }
  obs->on_close(at_ms(++ms));
  return obs;
}

// Replays in all three ways; they must agree on everything but timings.
std::vector<HttpExchange> observe(const std::vector<Chunk>& transcript, HttpLimits limits = {}) {
  std::vector<HttpExchange> first;
  for (Feed feed : {Feed::whole, Feed::bytewise, Feed::pieces}) {
    auto obs = replay(transcript, limits, feed);
    EXPECT_FALSE(obs->failed()) << obs->failure();
    auto ex = obs->take_exchanges();
    EXPECT_EQ(obs->exchange_count(), ex.size());
    if (feed == Feed::whole) {
      first = std::move(ex);
      continue;
    }
    EXPECT_EQ(ex.size(), first.size());
    for (std::size_t i = 0; i < std::min(ex.size(), first.size()); ++i) {
      auto a = to_json(first[i]);
      auto b = to_json(ex[i]);
      a.erase("timings");
      b.erase("timings");
      EXPECT_EQ(a, b) << "exchange " << i << " feed " << static_cast<int>(feed);
    }
  }
  return first;
}

TEST(H2Observer, SimpleGetAndPost) {
  H2Pair p;
  Body upload{"hello=world"};
  Body page{std::string(40000, 'x')};  // several DATA frames
  Body created{"ok"};
  const auto get = p.request("GET", "/index.html", {{"user-agent", "t"}, {"authorization", "Bearer s"}});
  const auto post =
      p.request("POST", "/form", {{"content-type", "application/x-www-form-urlencoded"}}, &upload);
  p.pump();
  ASSERT_EQ(p.requests_done.size(), 2u);
  p.respond(get, "200", {{"content-type", "text/html"}, {"set-cookie", "a=1"}}, &page);
  p.respond(post, "201", {}, &created);
  p.pump();
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 2u);
  std::map<std::string, HttpExchange> by_path;
  for (const auto& e : ex) by_path[e.path] = e;
  const auto& g = by_path.at("/index.html");
  EXPECT_EQ(g.http_version, "2");
  EXPECT_EQ(g.method, "GET");
  EXPECT_EQ(g.scheme, "https");
  EXPECT_EQ(g.authority, "example.com");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.response_body_bytes, 40000u);
  EXPECT_EQ(g.response_content_type, "text/html");
  EXPECT_EQ(g.request_headers.value("user-agent"), "t");
  EXPECT_EQ(g.request_headers.value("authorization"), "[redacted]");
  EXPECT_EQ(g.response_headers.value("set-cookie"), "[redacted]");
  EXPECT_FALSE(g.request_headers.contains(":path"));
  EXPECT_TRUE(g.ms_to_first_byte && g.ms_to_end);
  EXPECT_FALSE(g.error);
  const auto& f = by_path.at("/form");
  EXPECT_EQ(f.method, "POST");
  EXPECT_EQ(f.request_body_bytes, upload.bytes.size());
  EXPECT_EQ(f.request_content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(f.status, 201);
  EXPECT_EQ(f.response_body_bytes, 2u);
}

TEST(H2Observer, LargeHeadersUseContinuation) {
  H2Pair p;
  std::string big;
  for (int i = 0; i < 30000; ++i) big.push_back(static_cast<char>('!' + (i * 7919) % 90));
  const auto id = p.request("GET", "/big", {{"x-big", big}});
  p.pump();
  p.respond(id, "200", {{"x-big-too", big}}, nullptr);
  p.pump();
  // Both directions must really hold CONTINUATION frames for this test to mean anything.
  EXPECT_GT(frame_types(p.transcript, true).count(9), 0u);
  EXPECT_GT(frame_types(p.transcript, false).count(9), 0u);
  HttpLimits limits;
  limits.max_header_bytes = 128 * 1024;
  const auto ex = observe(p.transcript, limits);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_headers.value("x-big"), big);
  EXPECT_EQ(ex[0].response_headers.value("x-big-too"), big);
  EXPECT_EQ(ex[0].status, 200);

  limits.max_header_bytes = 16 * 1024;
  auto obs = replay(p.transcript, limits, Feed::pieces);
  ASSERT_TRUE(obs->failed());
  EXPECT_EQ(obs->failure(), "h2: header block exceeds max_header_bytes (16384)");
}

TEST(H2Observer, ManyConcurrentStreams) {
  H2Pair p;
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 150; ++i) ids.push_back(p.request("GET", "/item/" + std::to_string(i)));
  p.pump();
  ASSERT_EQ(p.requests_done.size(), 150u);
  std::vector<Body> bodies(ids.size());
  // Answer in reverse order, so streams finish interleaved with the requests' order.
  for (std::size_t i = ids.size(); i-- > 0;) {
    bodies[i].bytes = std::string(i * 10, 'b');
    p.respond(ids[i], i % 2 ? "200" : "404", {{"x-i", std::to_string(i)}}, &bodies[i]);
  }
  p.pump();
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 150u);
  for (const auto& e : ex) {
    const int i = std::stoi(e.path.substr(6));
    EXPECT_EQ(e.response_headers.value("x-i"), std::to_string(i));
    EXPECT_EQ(e.response_body_bytes, static_cast<std::uint64_t>(i * 10));
    EXPECT_EQ(e.status, i % 2 ? 200 : 404);
  }
}

TEST(H2Observer, ResetStream) {
  H2Pair p;
  const auto kept = p.request("GET", "/kept");
  const auto cancelled = p.request("GET", "/cancelled");
  p.pump();
  ASSERT_EQ(nghttp2_submit_rst_stream(p.client(), NGHTTP2_FLAG_NONE, cancelled, NGHTTP2_CANCEL), 0);
  p.pump();
  p.respond(kept, "200", {}, nullptr);
  p.pump();
  EXPECT_EQ(frame_types(p.transcript, true).count(NGHTTP2_RST_STREAM), 1u);
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].path, "/cancelled");
  EXPECT_EQ(ex[0].error, "stream reset (CANCEL)");
  EXPECT_FALSE(ex[0].status);
  EXPECT_EQ(ex[1].path, "/kept");
  EXPECT_FALSE(ex[1].error);
}

TEST(H2Observer, GoawayDropsUnprocessedStreams) {
  H2Pair p;
  const auto first = p.request("GET", "/1");
  p.request("GET", "/2");
  p.request("GET", "/3");
  p.pump();
  ASSERT_EQ(nghttp2_submit_goaway(p.server(), NGHTTP2_FLAG_NONE, first, NGHTTP2_NO_ERROR, nullptr, 0), 0);
  p.respond(first, "200", {}, nullptr);
  p.pump();
  EXPECT_EQ(frame_types(p.transcript, false).count(NGHTTP2_GOAWAY), 1u);
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].path, "/2");
  EXPECT_EQ(ex[0].error, "connection going away (NO_ERROR)");
  EXPECT_EQ(ex[1].path, "/3");
  EXPECT_EQ(ex[2].path, "/1");
  EXPECT_EQ(ex[2].status, 200);
  EXPECT_FALSE(ex[2].error);
}

TEST(H2Observer, InterimResponseAndTrailers) {
  H2Pair p;
  Body body{"payload", 0, true};
  const auto id = p.request("GET", "/t");
  p.pump();
  // A 103 Early Hints block first, then the final response, then trailers.
  std::string status = "103", link = "link", hint = "</s.css>; rel=preload";
  nghttp2_nv early[] = {nv(":status", status), nv(link, hint)};
  ASSERT_EQ(nghttp2_submit_headers(p.server(), NGHTTP2_FLAG_NONE, id, nullptr, early, 2, nullptr), 0);
  p.respond(id, "200", {{"content-type", "text/plain"}}, &body);
  p.pump();
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].status, 200);
  EXPECT_FALSE(ex[0].response_headers.contains("link"));
  EXPECT_EQ(ex[0].response_headers.value("x-digest"), "abc");
  EXPECT_EQ(ex[0].response_body_bytes, 7u);
  EXPECT_FALSE(ex[0].error);
}

TEST(H2Observer, TrailersCountAgainstTheHeaderFieldCap) {
  H2Pair p;
  Body body{"payload", 0, true};
  const auto id = p.request("GET", "/t");
  p.pump();
  p.respond(id, "200", {{"content-type", "text/plain"}}, &body);  // + trailer x-digest
  p.pump();
  HttpLimits limits;
  limits.max_header_fields = 2;
  EXPECT_EQ(observe(p.transcript, limits).size(), 1u);
  limits.max_header_fields = 1;
  auto obs = replay(p.transcript, limits, Feed::pieces);
  ASSERT_TRUE(obs->failed());
  EXPECT_NE(obs->failure().find("more than 1 header fields in one message"), std::string::npos) << obs->failure();
}

TEST(H2Observer, ManyHeaderFieldsPastTheCapStopInspection) {
  H2Pair p;
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 2000; ++i) many.emplace_back("x-" + std::to_string(i), "");
  const auto id = p.request("GET", "/many", many);
  p.pump();
  p.respond(id, "200", {}, nullptr);
  p.pump();
  HttpLimits limits;
  limits.max_header_bytes = 1u << 20;
  auto obs = replay(p.transcript, limits, Feed::pieces);
  ASSERT_TRUE(obs->failed());
  EXPECT_NE(obs->failure().find("header fields"), std::string::npos) << obs->failure();
  limits.max_header_fields = 5000;
  const auto ex = observe(p.transcript, limits);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_headers.size(), 2000u);
  EXPECT_EQ(ex[0].request_headers.value("x-1999"), "");
}

TEST(H2Observer, PaddedFrames) {
  H2Pair p(true);
  Body upload{"abc"}, body{std::string(1000, 'p')};
  const auto id = p.request("PUT", "/pad", {{"x-a", "1"}}, &upload);
  p.pump();
  p.respond(id, "200", {{"x-b", "2"}}, &body);
  p.pump();
  const int padded_headers = NGHTTP2_HEADERS + 256 * (NGHTTP2_FLAG_PADDED | NGHTTP2_FLAG_END_HEADERS);
  const int padded_data = NGHTTP2_DATA + 256 * (NGHTTP2_FLAG_PADDED | NGHTTP2_FLAG_END_STREAM);
  EXPECT_EQ(frame_types(p.transcript, true, true).count(padded_headers), 1u);
  EXPECT_EQ(frame_types(p.transcript, false, true).count(padded_data), 1u);
  HttpLimits limits;
  limits.body_capture_bytes = 2;
  const auto ex = observe(p.transcript, limits);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].request_headers.value("x-a"), "1");
  EXPECT_EQ(ex[0].response_headers.value("x-b"), "2");
  EXPECT_EQ(ex[0].request_body_bytes, 3u);
  EXPECT_EQ(ex[0].request_body_b64, "YWI=");
  EXPECT_EQ(ex[0].response_body_bytes, 1000u);
}

TEST(H2Observer, ServerPush) {
  H2Pair p;
  Body page{"<html>"}, style{"body{}"};
  const auto id = p.request("GET", "/page");
  p.pump();
  const nghttp2_nv promised[] = {nv(":method", "GET"), nv(":scheme", "https"),
                                 nv(":authority", "example.com"), nv(":path", "/style.css")};
  const auto pushed = nghttp2_submit_push_promise(p.server(), NGHTTP2_FLAG_NONE, id, promised, 4, nullptr);
  ASSERT_EQ(pushed, 2);
  p.respond(id, "200", {}, &page);
  p.respond(pushed, "200", {{"content-type", "text/css"}}, &style);
  p.pump();
  EXPECT_EQ(frame_types(p.transcript, false).count(NGHTTP2_PUSH_PROMISE), 1u);
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 2u);
  std::map<std::string, HttpExchange> by_path;
  for (const auto& e : ex) by_path[e.path] = e;
  EXPECT_EQ(by_path.at("/page").response_body_bytes, 6u);
  EXPECT_EQ(by_path.at("/style.css").authority, "example.com");
  EXPECT_EQ(by_path.at("/style.css").response_content_type, "text/css");
  EXPECT_EQ(by_path.at("/style.css").response_body_bytes, 6u);
}

TEST(H2Observer, LargerDynamicTable) {
  // The server's encoder grows its table to the client's 64 KiB and fills it past 4 KiB: the
  // observer must follow the SETTINGS or its inflater rejects the table size update.
  H2Pair p(false, 65536);
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(p.request("GET", "/" + std::to_string(i)));
  p.pump();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    p.respond(ids[i], "200",
              {{"x-token-" + std::to_string(i), std::string(300, static_cast<char>('a' + i % 26))}}, nullptr);
  }
  p.pump();
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 40u);
  for (const auto& e : ex) {
    const auto i = std::stoul(e.path.substr(1));
    EXPECT_EQ(e.response_headers.value("x-token-" + std::to_string(i)),
              std::string(300, static_cast<char>('a' + i % 26)));
  }
}

TEST(H2Observer, ClosedMidResponse) {
  H2Pair p;
  const auto a = p.request("GET", "/a");
  p.request("GET", "/b");
  p.pump();
  std::string status = "200";
  nghttp2_nv hdr[] = {nv(":status", status)};
  ASSERT_EQ(nghttp2_submit_headers(p.server(), NGHTTP2_FLAG_NONE, a, nullptr, hdr, 1, nullptr), 0);
  p.pump();
  const auto ex = observe(p.transcript);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].path, "/a");
  EXPECT_EQ(ex[0].status, 200);
  EXPECT_EQ(ex[0].error, "connection closed before response end");
  EXPECT_EQ(ex[1].error, "connection closed before response");
}

TEST(H2Observer, BodyCaptureAndNoRedaction) {
  H2Pair p;
  Body body{"0123456789"};
  const auto id = p.request("GET", "/c", {{"cookie", "k=v"}});
  p.pump();
  p.respond(id, "200", {}, &body);
  p.pump();
  HttpLimits limits;
  limits.body_capture_bytes = 3;
  limits.redact = false;
  const auto ex = observe(p.transcript, limits);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].response_body_b64, "MDEy");
  EXPECT_EQ(ex[0].request_body_b64, "");
  EXPECT_EQ(ex[0].request_headers.value("cookie"), "k=v");
}

TEST(H2Observer, PriorKnowledgeCleartext) {
  H2Pair p;
  const auto id = p.request("GET", "/plain");
  p.pump();
  p.respond(id, "204", {}, nullptr);
  p.pump();
  for (Feed feed : {Feed::whole, Feed::bytewise}) {
    auto obs = replay(p.transcript, {}, feed, true);
    EXPECT_FALSE(obs->failed()) << obs->failure();
    const auto ex = obs->take_exchanges();
    ASSERT_EQ(ex.size(), 1u);
    EXPECT_EQ(ex[0].http_version, "2");
    EXPECT_EQ(ex[0].scheme, "http");
    EXPECT_EQ(ex[0].status, 204);
  }
}

TEST(H2Observer, CleartextHttp1) {
  const std::string req = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  for (std::size_t cut = 0; cut <= req.size(); ++cut) {
    auto obs = make_cleartext_observer({});
    obs->on_client_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(req.data()), cut), at_ms(1));
    obs->on_client_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(req.data()) + cut, req.size() - cut),
                         at_ms(2));
    obs->on_server_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(resp.data()), resp.size()), at_ms(3));
    const auto ex = obs->take_exchanges();
    ASSERT_EQ(ex.size(), 1u) << cut;
    EXPECT_EQ(ex[0].http_version, "1.1");
    EXPECT_EQ(ex[0].scheme, "http");
  }
}

TEST(H2Observer, GarbageFails) {
  const std::string not_h2 = "GET / HTTP/1.1\r\n\r\n";
  auto obs = make_h2_observer({}, "https");
  obs->on_client_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(not_h2.data()), not_h2.size()), at_ms(1));
  EXPECT_TRUE(obs->failed());
  EXPECT_EQ(obs->failure(), "h2: client connection preface missing");

  struct Case {
    std::string frame;
    std::string failure;
  };
  const Case cases[] = {
      // HEADERS, END_HEADERS, stream 1: an indexed field far past any table.
      {std::string("\0\0\3\1\4\0\0\0\1\xff\xff\x7f", 12), "h2: HPACK: "},
      // CONTINUATION with no header block open.
      {std::string("\0\0\1\x9\4\0\0\0\1\x82", 10), "h2: CONTINUATION without a header block"},
      // HEADERS without END_HEADERS, then DATA on the same stream.
      {std::string("\0\0\1\1\0\0\0\0\1\x82\0\0\0\0\0\0\0\0\1", 19),
       "h2: header block interrupted (RFC 9113 \xC2\xA7"
       "6.10)"},
  };
  for (const auto& c : cases) {
    const std::string bytes = std::string(h2::client_preface) + c.frame;
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      auto o = make_h2_observer({}, "https");
      o->on_client_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()), cut), at_ms(1));
      o->on_client_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()) + cut, bytes.size() - cut),
                         at_ms(2));
      ASSERT_TRUE(o->failed()) << cut;
      EXPECT_EQ(o->failure().rfind(c.failure, 0), 0u) << o->failure();
    }
  }
}

}  // namespace
}  // namespace tlsgate::http

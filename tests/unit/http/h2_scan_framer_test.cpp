// HTTP/2 response framing for content scanning: DATA of scanned responses held until the
// verdict and released as sent, every other frame passing at once and in order (the client's
// HPACK decoder reads every block), resets toward both sides for withheld streams with the
// connection window returned to the server, the bounds (max_bytes, the client's windows), and
// the same outcome at every split of the server's bytes.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "gateway/http/h2_scan_framer.hpp"
#include "tests/support/h2_wire.hpp"

namespace tlsgate::http::h2 {
namespace {

namespace wire = test::h2wire;

constexpr std::uint8_t data = 0x0, headers = 0x1, rst = 0x3, wupdate = 0x8;
constexpr std::uint8_t end_stream = 0x1, end_headers = 0x4;

ScanFramerSettings settings(std::size_t max_body = 64 * 1024, bool pass_on_overflow = false) {
  ScanFramerSettings s;
  s.max_body_bytes = max_body;
  s.max_flow_bytes = 2 * max_body;
  s.pass_on_overflow = pass_on_overflow;
  s.scans_content_type = [](std::string_view type) { return !type.starts_with("image/"); };
  return s;
}

std::span<const std::uint8_t> octets(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Both sides of a conversation, built frame by frame with a browser-like HPACK encoder per side.
struct Conversation {
  wire::Encoder client_encoder, server_encoder;
  std::string client = std::string(client_preface) + wire::settings({}), server = wire::settings({});

  void request(std::uint32_t id, const std::string& path) {
    client += wire::frame(headers, end_headers | end_stream, id,
                          client_encoder.encode({{":method", "GET"}, {":scheme", "https"},
                                                 {":authority", "www.example.test"}, {":path", path}}));
  }
  void response(std::uint32_t id, wire::Fields fields, bool ends = false) {
    server += wire::frame(headers, end_headers | (ends ? end_stream : 0), id, server_encoder.encode(fields));
  }
  void body(std::uint32_t id, const std::string& bytes, bool ends) {
    server += wire::frame(data, ends ? end_stream : 0, id, bytes);
  }
};

wire::Fields ok(const std::string& type = "application/octet-stream") {
  return {{":status", "200"}, {"content-type", type}, {"server", "nginx"}};
}

// What a caller (the response scanner) makes of the steps: the bytes for the client in order,
// one outcome per response ("1 clean", "3 infected", "5 skipped: no body", "7 overflow: ..."),
// the frames for the server. A body holding "EICAR" is infected.
struct Result {
  std::string to_client, to_server;
  std::vector<std::string> outcomes;
  std::vector<std::string> request_heads, response_heads;
};

void carry_out(ScanFramer& framer, std::vector<ScanStep>& steps, Result& r) {
  for (auto& step : steps) {
    const std::string id = std::to_string(step.stream_id);
    switch (step.kind) {
      case ScanStepKind::forward: r.to_client += step.bytes; break;
      case ScanStepKind::skipped: r.outcomes.push_back(id + " skipped: " + step.reason); break;
      case ScanStepKind::overflow:
        r.outcomes.push_back(id + " overflow: " + step.reason);
        r.to_client += step.bytes;
        break;
      case ScanStepKind::scan: {
        const bool infected = step.body.find("EICAR") != std::string::npos;
        r.outcomes.push_back(id + (infected ? " infected" : " clean"));
        r.request_heads.push_back(step.request_head);
        r.response_heads.push_back(step.head);
        r.to_client += framer.verdict(step.stream_id, !infected);
        break;
      }
    }
  }
  steps.clear();
  if (framer.to_server_ready()) r.to_server += framer.take_to_server();
}

// The client's bytes first, then the server's split at `split`; `closed`: the server closes.
Result run(ScanFramerSettings s, const Conversation& c, std::size_t split, bool closed = false) {
  ScanFramer framer(std::move(s));
  Result r;
  std::vector<ScanStep> steps;
  framer.from_client(octets(c.client), steps);
  carry_out(framer, steps, r);
  const std::string_view server = c.server;
  framer.from_server(octets(server.substr(0, split)), steps);
  carry_out(framer, steps, r);
  framer.from_server(octets(server.substr(split)), steps);
  carry_out(framer, steps, r);
  if (closed) framer.server_closed(steps);
  carry_out(framer, steps, r);
  return r;
}

// WINDOW_UPDATE increments on stream 0 and RST_STREAM frames for the server.
std::pair<std::uint64_t, std::vector<std::uint32_t>> server_view(const std::string& bytes) {
  std::pair<std::uint64_t, std::vector<std::uint32_t>> v{0, {}};
  const auto frames = wire::frames(bytes);
  EXPECT_TRUE(frames.has_value());
  for (const auto& f : frames.value_or(std::vector<wire::Frame>{})) {
    if (f.type == wupdate && f.stream == 0) v.first += wire::get_u32(f.payload, 0);
    if (f.type == rst) {
      EXPECT_EQ(wire::get_u32(f.payload, 0), 0x8u);  // CANCEL
      v.second.push_back(f.stream);
    }
  }
  return v;
}

// The same result at every split of the server's bytes.
Result run_every_split(const ScanFramerSettings& s, const Conversation& c, bool closed = false) {
  const Result whole = run(s, c, c.server.size(), closed);
  for (std::size_t split = 0; split < c.server.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    const Result r = run(s, c, split, closed);
    EXPECT_EQ(r.to_client, whole.to_client);
    EXPECT_EQ(server_view(r.to_server), server_view(whole.to_server));  // window updates may come in pieces
    EXPECT_EQ(r.outcomes, whole.outcomes);
    if (r.to_client != whole.to_client) break;
  }
  return whole;
}

// The client's view: every header block decodes in order; DATA per stream; resets per stream.
struct ClientView {
  bool ok = false;
  std::map<std::uint32_t, std::string> bodies;
  std::map<std::uint32_t, std::uint32_t> resets;
  std::vector<std::uint32_t> blocks;
};
ClientView client_view(const std::string& bytes) {
  ClientView v;
  wire::Decoder decoder;
  const wire::Walk w = wire::walk(bytes, decoder);
  v.ok = w.ok;
  for (const auto& b : w.blocks) v.blocks.push_back(b.stream);
  for (const auto& f : w.others) {
    if (f.type == data) v.bodies[f.stream] += f.payload;
    if (f.type == rst) v.resets[f.stream] = wire::get_u32(f.payload, 0);
  }
  return v;
}

const std::string eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

TEST(H2ScanFramer, CleanBodyIsHeldThenReleasedAsSent) {
  Conversation c;
  c.request(1, "/clean.bin");
  c.response(1, ok());
  c.body(1, std::string(5000, 'a'), false);
  c.body(1, std::string(3000, 'b'), true);
  const Result r = run_every_split(settings(), c);
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 clean"}));
  EXPECT_EQ(r.to_client, c.server);  // byte for byte
  EXPECT_EQ(r.to_server, "");
  ASSERT_EQ(r.request_heads.size(), 1u);
  EXPECT_EQ(r.request_heads[0], "GET /clean.bin HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
  EXPECT_EQ(r.response_heads[0],
            "HTTP/1.1 200 \r\ncontent-type: application/octet-stream\r\nserver: nginx\r\n\r\n");
}

TEST(H2ScanFramer, InfectedBodyIsResetAndItsWindowReturned) {
  Conversation c;
  c.request(1, "/eicar.com");
  c.response(1, ok());
  c.body(1, eicar.substr(0, 20), false);
  c.body(1, eicar.substr(20), true);
  const Result r = run_every_split(settings(), c);
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 infected"}));
  const ClientView v = client_view(r.to_client);
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.blocks, (std::vector<std::uint32_t>{1}));  // the response head reached the decoder
  EXPECT_FALSE(v.bodies.contains(1));
  EXPECT_EQ(v.resets.at(1), 0x2u);  // INTERNAL_ERROR
  const auto [window, resets] = server_view(r.to_server);
  EXPECT_EQ(window, eicar.size());  // what the server sent and the client never saw
  EXPECT_TRUE(resets.empty());      // the server had ended the stream
}

TEST(H2ScanFramer, StreamsInterleavedKeepTheirOrderAndOnlyTheInfectedOneIsReset) {
  Conversation c;
  c.request(1, "/eicar.com");
  c.request(3, "/clean.bin");
  c.request(5, "/picture.png");
  c.response(1, ok());
  c.response(3, ok("text/plain"));
  c.body(1, eicar.substr(0, 30), false);
  c.response(5, ok("image/png"));
  c.body(3, "clean text ", false);
  c.body(5, "PNG...", true);
  c.body(1, eicar.substr(30), true);
  c.body(3, "ends here", true);
  const Result r = run_every_split(settings(), c);
  EXPECT_EQ(r.outcomes,
            (std::vector<std::string>{"5 skipped: content type not scanned", "1 infected", "3 clean"}));
  const ClientView v = client_view(r.to_client);
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.blocks, (std::vector<std::uint32_t>{1, 3, 5}));
  EXPECT_EQ(v.bodies.at(3), "clean text ends here");
  EXPECT_EQ(v.bodies.at(5), "PNG...");
  EXPECT_FALSE(v.bodies.contains(1));
  EXPECT_EQ(v.resets.size(), 1u);
  EXPECT_EQ(r.request_heads.at(1), "GET /clean.bin HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
}

TEST(H2ScanFramer, ResponsesWithoutBodyAreSkipped) {
  Conversation c;
  c.request(1, "/a");
  c.request(3, "/b");
  c.response(1, {{":status", "304"}}, true);
  c.response(3, {{":status", "100"}});
  c.response(3, {{":status", "200"}, {"content-length", "0"}});
  c.body(3, "", true);
  const Result r = run_every_split(settings(), c);
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 skipped: no body", "3 skipped: no body"}));
  EXPECT_EQ(r.to_client, c.server);
}

TEST(H2ScanFramer, PastMaxBytesUnderBlockResetsBothSidesAndReturnsEveryDroppedByte) {
  Conversation c;
  c.request(1, "/big");
  c.response(1, ok());
  for (int i = 0; i < 5; ++i) c.body(1, std::string(400, 'x'), i == 4);
  const Result r = run_every_split(settings(1000), c);
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0], "1 overflow: body past max_bytes (1000)");
  const ClientView v = client_view(r.to_client);
  EXPECT_TRUE(v.ok);
  EXPECT_FALSE(v.bodies.contains(1));
  EXPECT_EQ(v.resets.at(1), 0x2u);
  const auto [window, resets] = server_view(r.to_server);
  EXPECT_EQ(window, 2000u);  // all five frames: two held, three after the reset
  EXPECT_EQ(resets, (std::vector<std::uint32_t>{1}));
}

TEST(H2ScanFramer, PastMaxBytesUnderAllowDeliversEverythingAsSent) {
  Conversation c;
  c.request(1, "/big");
  c.response(1, ok());
  for (int i = 0; i < 5; ++i) c.body(1, std::string(400, 'x'), i == 4);
  const Result r = run_every_split(settings(1000, true), c);
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 overflow: body past max_bytes (1000)"}));
  EXPECT_EQ(r.to_client, c.server);
  EXPECT_EQ(r.to_server, "");
}

TEST(H2ScanFramer, ContentLengthPastMaxBytesIsKnownAtTheHead) {
  Conversation c;
  c.request(1, "/big");
  c.response(1, {{":status", "200"}, {"content-length", "5000"}});
  c.body(1, std::string(100, 'x'), false);
  const Result r = run(settings(1000), c, c.server.size());
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 overflow: body of 5000 bytes past max_bytes (1000)"}));
  EXPECT_FALSE(client_view(r.to_client).bodies.contains(1));
  EXPECT_EQ(server_view(r.to_server).first, 100u);
}

// A 65536-byte body still arriving; `client`: the client's frames after the preface, before its request.
Conversation large_download(const std::string& client, const std::string& after_request = {}) {
  Conversation c;
  c.client = std::string(client_preface) + client;
  c.request(1, "/large");
  c.client += after_request;
  c.response(1, ok());
  for (int i = 0; i < 4; ++i) c.body(1, std::string(16384, 'x'), false);
  c.body(1, "end", true);
  return c;
}

TEST(H2ScanFramer, HeldBytesReachingTheClientsStreamWindowGiveUpInsteadOfStalling) {
  const Conversation c = large_download(wire::settings({}));
  const Result r = run(settings(1 << 20), c, c.server.size());
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0], "1 overflow: the client's stream window is full with 65536 held bytes");

  // A client that opened its windows (SETTINGS, WINDOW_UPDATE) gets the body scanned.
  const Conversation wide = large_download(wire::settings({{0x4, 1 << 20}}) + wire::window_update(0, 1 << 20));
  EXPECT_EQ(run(settings(1 << 20), wide, wide.server.size()).outcomes, (std::vector<std::string>{"1 clean"}));
  const Conversation updated =
      large_download(wire::settings({}), wire::window_update(1, 100000) + wire::window_update(0, 100000));
  EXPECT_EQ(run(settings(1 << 20), updated, updated.server.size()).outcomes, (std::vector<std::string>{"1 clean"}));
}

TEST(H2ScanFramer, HeldBytesReachingTheConnectionWindowGiveUpEveryUnfinishedBody) {
  Conversation c;
  c.client = std::string(client_preface) + wire::settings({{0x4, 1 << 20}});
  c.request(1, "/a");
  c.request(3, "/b");
  c.response(1, ok());
  c.response(3, ok());
  c.body(1, std::string(16384, 'x'), false);
  c.body(3, std::string(16384, 'y'), false);
  c.body(1, std::string(16384, 'x'), false);
  c.body(3, std::string(16383, 'y'), false);  // 65535: the connection window is spent
  const Result r = run(settings(1 << 20, true), c, c.server.size());
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 overflow: the client's connection window is full with held bytes",
                                                  "3 overflow: the client's connection window is full with held bytes"}));
  const ClientView v = client_view(r.to_client);  // allow: released, each stream's frames as sent
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.bodies.at(1), std::string(32768, 'x'));
  EXPECT_EQ(v.bodies.at(3), std::string(32767, 'y'));
}

TEST(H2ScanFramer, TrailersFollowTheHeldBodyOrGoWithoutEndStreamBeforeTheReset) {
  for (const bool infected : {false, true}) {
    SCOPED_TRACE(infected ? "infected" : "clean");
    Conversation c;
    c.request(1, "/with-trailers");
    c.response(1, ok());
    c.body(1, infected ? eicar : "fine", false);
    c.response(1, {{"x-checksum", "abc"}}, true);
    c.request(3, "/next");
    c.response(3, {{":status", "204"}}, true);
    const Result r = run_every_split(settings(), c);
    const ClientView v = client_view(r.to_client);
    EXPECT_TRUE(v.ok);
    EXPECT_EQ(v.blocks, (std::vector<std::uint32_t>{1, 1, 3}));  // every block, in the server's order
    if (!infected) {
      EXPECT_EQ(r.to_client, c.server);
    } else {
      EXPECT_FALSE(v.bodies.contains(1));
      EXPECT_EQ(v.resets.at(1), 0x2u);
      wire::Decoder decoder;
      for (const auto& b : wire::walk(r.to_client, decoder).blocks) EXPECT_EQ(b.end_stream, b.stream == 3);
    }
  }
}

TEST(H2ScanFramer, TheServersResetAfterACompleteResponseFollowsTheBody) {
  for (const bool infected : {false, true}) {
    SCOPED_TRACE(infected ? "infected" : "clean");
    Conversation c;
    c.request(1, "/early-answer");
    c.response(1, ok());
    c.body(1, infected ? eicar : "fine", true);
    c.server += wire::frame(rst, 0, 1, std::string(4, '\0'));  // NO_ERROR: stop the upload
    c.request(3, "/next");
    c.response(3, {{":status", "204"}}, true);
    const Result r = run_every_split(settings(), c);
    const ClientView v = client_view(r.to_client);
    EXPECT_TRUE(v.ok);
    if (!infected) {
      EXPECT_EQ(r.to_client, c.server);
    } else {
      EXPECT_FALSE(v.bodies.contains(1));
      EXPECT_EQ(v.resets.at(1), 0x2u);  // ours, not the server's NO_ERROR
      EXPECT_EQ(v.blocks, (std::vector<std::uint32_t>{1, 3}));
    }
  }
}

TEST(H2ScanFramer, AStreamTheClientResetsIsDroppedAndItsWindowReturned) {
  ScanFramer framer(settings());
  Conversation c;
  c.request(1, "/slow");
  c.response(1, ok());
  c.body(1, std::string(700, 'x'), false);
  Result r;
  std::vector<ScanStep> steps;
  framer.from_client(octets(c.client), steps);
  framer.from_server(octets(c.server), steps);
  carry_out(framer, steps, r);
  EXPECT_EQ(framer.held_bytes(), 709u);
  framer.from_client(octets(wire::frame(rst, 0, 1, std::string("\0\0\0\x8", 4))), steps);
  carry_out(framer, steps, r);
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 skipped: stream reset by the client"}));
  EXPECT_EQ(framer.held_bytes(), 0u);
  EXPECT_EQ(server_view(r.to_server).first, 700u);
  // Its DATA still in flight goes to the client, which ignores it and returns the window itself.
  const std::string late = wire::frame(data, end_stream, 1, "late");
  framer.from_server(octets(late), steps);
  carry_out(framer, steps, r);
  EXPECT_TRUE(client_view(r.to_client).bodies.at(1) == "late");
}

TEST(H2ScanFramer, FramesForTheServerWaitForTheClientsFrameBoundary) {
  ScanFramer framer(settings(100));
  Conversation c;
  c.request(1, "/big");
  c.response(1, ok());
  c.body(1, std::string(200, 'x'), true);
  std::vector<ScanStep> steps;
  framer.from_client(octets(c.client), steps);
  const std::string ping = wire::frame(0x6, 0, 0, std::string(8, '\0'));
  framer.from_client(octets(std::string_view(ping).substr(0, 5)), steps);  // the client is mid-frame
  framer.from_server(octets(c.server), steps);
  EXPECT_FALSE(framer.to_server_ready());
  framer.from_client(octets(std::string_view(ping).substr(5)), steps);
  ASSERT_TRUE(framer.to_server_ready());
  EXPECT_EQ(server_view(framer.take_to_server()).first, 200u);
}

TEST(H2ScanFramer, ServerClosingMidBodyIsAnOverflow) {
  Conversation c;
  c.request(1, "/cut");
  c.response(1, ok());
  c.body(1, "partial", false);
  const Result r = run_every_split(settings(), c, true);
  EXPECT_EQ(r.outcomes, (std::vector<std::string>{"1 overflow: closed before the response ended"}));
  EXPECT_FALSE(client_view(r.to_client).bodies.contains(1));
}

TEST(H2ScanFramer, AServerThatBreaksTheFramingStopsEverythingUnderBlock) {
  Conversation c;
  c.request(1, "/a");
  c.response(1, ok());
  c.body(1, "held", false);
  c.server += wire::frame(headers, 0, 3, "\x82");  // a block left open ...
  c.server += wire::frame(data, 0, 3, "x");         // ... interrupted
  ScanFramer framer(settings());
  std::vector<ScanStep> steps;
  framer.from_client(octets(c.client), steps);
  framer.from_server(octets(c.server), steps);
  EXPECT_TRUE(framer.stopped());
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.back().kind, ScanStepKind::overflow);
}

TEST(H2ScanFramer, ResponseHeadsAreSafeForIcap) {
  const ResponseFacts facts = response_facts({{":status", "200"}, {"x-evil", "a\r\nInjected: 1"},
                                              {"content-length", "12"}, {"content-type", "text/html"}});
  EXPECT_EQ(facts.head, "HTTP/1.1 200 \r\ncontent-length: 12\r\ncontent-type: text/html\r\n\r\n");
  EXPECT_EQ(facts.content_length, 12u);
  EXPECT_EQ(request_facts({{":method", "GET"}, {":path", "/a b"}}).head, "");
  EXPECT_TRUE(request_facts({{":method", "CONNECT"}, {":authority", "x:443"}}).connect);
}

}  // namespace
}  // namespace tlsgate::http::h2

// HTTP/2 request gate: client traffic HPACK-encoded with indexing (as browsers do), fed whole, byte
// by byte and in random splits; the forwarded side decoded by an inflater playing the upstream, the
// gate's answers by one playing the client.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/request_gate.hpp"
#include "tests/support/h2_wire.hpp"

namespace tlsgate::http {
namespace {

using namespace tlsgate::test::h2wire;

constexpr std::uint8_t data_type = 0x0, headers_type = 0x1, rst_type = 0x3, settings_type = 0x4,
                       goaway_type = 0x7, window_type = 0x8, continuation_type = 0x9;
constexpr std::uint8_t end_stream = 0x1, end_headers = 0x4, padded = 0x8, priority = 0x20;

const std::string preface(h2::client_preface);

Fields request(const std::string& authority, const std::string& path, Fields extra = {}) {
  Fields f = {{":method", "GET"}, {":scheme", "https"}, {":authority", authority}, {":path", path}};
  f.insert(f.end(), extra.begin(), extra.end());
  return f;
}

std::string headers(std::uint32_t stream, const std::string& block, std::uint8_t flags = end_stream) {
  return frame(headers_type, flags | end_headers, stream, block);
}

std::string data(std::uint32_t stream, const std::string& bytes, std::uint8_t flags = 0) {
  return frame(data_type, flags, stream, bytes);
}

const std::vector<HeaderEdit> safe_search = {{HeaderEdit::Kind::set, "YouTube-Restrict", "Strict"},
                                             {HeaderEdit::Kind::remove, "X-Forwarded-For", ""}};
const std::string big_value(20000, 'v');  // past one 16384-byte frame even Huffman-coded

// Policy of the tests: hosts named "blocked...", "wrong..." and "moved..." are answered; header
// rules apply to "edit..." (safe_search), "absent..." (removes a field no request has) and
// "big..." (sets a field too large for one frame).
RequestAnswer policy(const RequestHead& head) {
  const std::string host = head.authority.value_or("");
  if (host.starts_with("edit")) return {RequestAction::forward, "", "", safe_search};
  if (host.starts_with("absent")) return {RequestAction::forward, "", "", {{HeaderEdit::Kind::remove, "X-Absent", ""}}};
  if (host.starts_with("big")) return {RequestAction::forward, "", "", {{HeaderEdit::Kind::set, "X-Big", big_value}}};
  if (host.starts_with("blocked")) return {RequestAction::block, "<p>blocked</p>", ""};
  if (host.starts_with("wrong")) return {RequestAction::misdirected, "<p>misdirected</p>", ""};
  if (host.starts_with("moved")) return {RequestAction::redirect, "<p>moved</p>", "https://portal.test/x"};
  return {};
}

// The server's connection preface: an empty SETTINGS frame.
const std::string server_preface = settings({});

struct Harness {
  // `server_spoke`: the server's preface already passed (the gate's answers may go right away).
  explicit Harness(GateSettings settings = {}, bool server_spoke = true) {
    gate = make_h2_request_gate(settings, [this](const RequestHead& head) {
      heads.push_back(head);
      return policy(head);
    });
    if (server_spoke) server(server_preface);
  }
  // Feeds `bytes` cut at `cuts` (sorted offsets).
  void client(const std::string& bytes, const std::vector<std::size_t>& cuts = {}) {
    std::size_t at = 0;
    auto cut_points = cuts;
    cut_points.push_back(bytes.size());
    for (std::size_t c : cut_points) {
      c = std::min(c, bytes.size());
      if (c < at) continue;
      ClientStep step = gate->from_client({reinterpret_cast<const std::uint8_t*>(bytes.data()) + at, c - at});
      to_server += step.to_server;
      to_client += step.to_client;
      if (step.error) errors.push_back(*step.error);
      closed = closed || step.close;
      at = c;
    }
  }
  ServerStep server(const std::string& bytes) {
    return gate->from_server({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
  std::unique_ptr<RequestGate> gate;
  std::vector<RequestHead> heads;
  std::string to_server, to_client;
  std::vector<std::string> errors;
  bool closed = false;
};

// Every way to cut a conversation: whole, byte by byte, random splits.
std::vector<std::vector<std::size_t>> chunkings(std::size_t size) {
  std::vector<std::vector<std::size_t>> all{{}};
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < size; ++i) every.push_back(i);
  all.push_back(every);
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0; at < size;) cuts.push_back(at += 1 + rng() % 40);
    all.push_back(cuts);
  }
  return all;
}

std::string after_preface(const std::string& s) { return s.substr(std::min(s.size(), preface.size())); }

TEST(H2RequestGate, AllowedStreamsPassByteIdentical) {
  Encoder enc;
  std::string in = preface + settings({{0x4, 1 << 20}});
  in += headers(1, enc.encode(request("a.test", "/", {{"user-agent", "test/1"}})));
  in += headers(3, enc.encode(request("a.test", "/post", {{"user-agent", "test/1"}})), 0);
  in += data(3, "hello ") + data(3, "world", end_stream);
  in += window_update(0, 1000) + headers(5, enc.encode(request("b.test", "/b")));
  for (const auto& cuts : chunkings(in.size())) {
    Harness run;
    run.client(in, cuts);
    EXPECT_EQ(run.to_server, in);
    ASSERT_EQ(run.heads.size(), 3u);
    EXPECT_EQ(run.heads[1].authority, "a.test");
    EXPECT_EQ(run.heads[1].path, "/post");
    EXPECT_EQ(run.heads[1].stream_id, 3u);
    EXPECT_EQ(run.heads[2].version, "2");
    EXPECT_TRUE(run.errors.empty());
    EXPECT_EQ(run.gate->take_to_client(), "");
  }
}

// The blocked block adds entries to the client's encoder table that later blocks reference;
// the upstream never saw them, so the gate re-encodes from then on.
TEST(H2RequestGate, BlockedStreamKeepsUpstreamHpackState) {
  Encoder enc;
  const Fields secret = {{"x-token", "s3cr3t"}, {"cookie", "a=1"}};
  std::vector<Fields> sent = {request("a.test", "/1", {{"user-agent", "ua"}}),
                              request("blocked.test", "/2", secret),
                              request("blocked.test", "/3", secret),  // blocked again, fully indexed
                              request("a.test", "/4", secret),
                              request("a.test", "/5", secret)};
  std::string in = preface;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto id = static_cast<std::uint32_t>(2 * i + 1);
    in += headers(id, enc.encode(sent[i]), i == 1 ? 0 : end_stream);
    if (i == 1) in += data(id, "body of a blocked request", end_stream);
  }
  for (const auto& cuts : chunkings(in.size())) {
    Harness run;
    run.client(in, cuts);
    Decoder upstream;
    const Walk w = walk(after_preface(run.to_server), upstream);
    ASSERT_TRUE(w.ok);
    ASSERT_EQ(w.blocks.size(), 3u);
    EXPECT_EQ(w.blocks[0].fields, sent[0]);
    EXPECT_EQ(w.blocks[1].fields, sent[3]);
    EXPECT_EQ(w.blocks[1].stream, 7u);
    EXPECT_EQ(w.blocks[2].fields, sent[4]);
    EXPECT_TRUE(w.blocks[2].end_stream);
    EXPECT_TRUE(w.others.empty());  // the blocked body never went up
    EXPECT_EQ(run.to_server.find("blocked"), std::string::npos);
    // The dropped DATA's credit comes back to the client after the two answers.
    Decoder client;
    const Walk back = walk(run.gate->take_to_client(), client);
    ASSERT_TRUE(back.ok);
    ASSERT_EQ(back.blocks.size(), 2u);
    ASSERT_FALSE(back.others.empty());
    EXPECT_EQ(back.others.back().type, window_type);
    EXPECT_EQ(get_u32(back.others.back().payload, 0), std::string("body of a blocked request").size());
  }
}

TEST(H2RequestGate, ContinuationPaddingAndPriority) {
  Encoder enc;
  const std::string big(8000, 'v');
  const std::string block = enc.encode(request("a.test", "/big", {{"x-a", big}, {"x-b", big}, {"x-c", big}}));
  ASSERT_GT(block.size(), 16384u);
  std::string first = std::string(1, '\x03') + std::string("\x80\x00\x00\x03\x0f", 5) + block.substr(0, 5000) +
                      std::string(3, '\0');
  std::string in = preface + frame(headers_type, padded | priority, 1, first) +
                   frame(continuation_type, 0, 1, block.substr(5000, 10000)) +
                   frame(continuation_type, end_headers, 1, block.substr(15000));
  // Then a blocked stream and the same big request again: re-encoded, split, priority kept.
  in += headers(3, enc.encode(request("blocked.test", "/")));
  const std::string again = enc.encode(request("a.test", "/big", {{"x-a", big}, {"x-b", big}, {"x-c", big}}));
  in += frame(headers_type, priority | end_stream, 5, std::string("\x00\x00\x00\x01\x20", 5) + again.substr(0, 9000)) +
        frame(continuation_type, end_headers, 5, again.substr(9000));
  for (const auto& cuts : chunkings(in.size())) {
    Harness run;
    run.client(in, cuts);
    ASSERT_TRUE(run.errors.empty()) << run.errors[0];
    const std::string first_frames = in.substr(preface.size(), 3 * 9 + first.size() + block.size() - 5000);
    EXPECT_EQ(run.to_server.substr(preface.size(), first_frames.size()), first_frames);
    Decoder upstream;
    const Walk w = walk(after_preface(run.to_server), upstream);
    ASSERT_TRUE(w.ok);
    ASSERT_EQ(w.blocks.size(), 2u);
    EXPECT_EQ(w.blocks[1].stream, 5u);
    EXPECT_EQ(w.blocks[1].priority, std::string("\x00\x00\x00\x01\x20", 5));
    EXPECT_TRUE(w.blocks[1].end_stream);
    EXPECT_EQ(w.blocks[1].fields, w.blocks[0].fields);
  }
}

struct AnswerCase {
  const char* name;
  std::string host, status, page, location;
};

class H2Answers : public ::testing::TestWithParam<AnswerCase> {};

TEST_P(H2Answers, DecodeOnTheClientWithItsTableUntouched) {
  const AnswerCase& c = GetParam();
  Encoder enc;
  Harness run;
  run.client(preface + headers(1, enc.encode(request(c.host, "/", {{"x-big", std::string(300, 'x')}})), 0));
  EXPECT_EQ(run.to_server, preface);
  // The client's decoder already holds an entry from the server; the answer must not move it.
  Decoder client;
  ASSERT_TRUE(client.decode(Encoder().encode({{":status", "200"}, {"x-srv", "1"}})));
  const std::size_t entries = client.table_entries();
  const Walk w = walk(run.gate->take_to_client(), client);
  ASSERT_TRUE(w.ok);
  ASSERT_EQ(w.blocks.size(), 1u);
  Fields want = {{":status", c.status},
                 {"content-type", "text/html; charset=utf-8"},
                 {"content-length", std::to_string(c.page.size())},
                 {"cache-control", "no-store"}};
  if (!c.location.empty()) want.emplace_back("location", c.location);
  EXPECT_EQ(w.blocks[0].fields, want);
  EXPECT_EQ(client.table_entries(), entries);
  ASSERT_EQ(w.others.size(), 2u);
  EXPECT_EQ(w.others[0].type, data_type);
  EXPECT_EQ(w.others[0].flags, end_stream);
  EXPECT_EQ(w.others[0].payload, c.page);
  EXPECT_EQ(w.others[1].type, rst_type);  // the client had not ended its side
  EXPECT_EQ(get_u32(w.others[1].payload, 0), 0u);
  // Its later frames on that stream stay with the gate.
  run.client(data(1, "abc", end_stream) + frame(0x2, 0, 1, std::string(5, '\0')));
  EXPECT_EQ(run.to_server, preface);
}

INSTANTIATE_TEST_SUITE_P(Actions, H2Answers,
                         ::testing::Values(AnswerCase{"block", "blocked.test", "403", "<p>blocked</p>", ""},
                                           AnswerCase{"misdirected", "wrong.test", "421", "<p>misdirected</p>", ""},
                                           AnswerCase{"redirect", "moved.test", "302", "<p>moved</p>",
                                                      "https://portal.test/x"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(H2RequestGate, PageFitsTheClientsStreamWindow) {
  Encoder enc;
  Harness run;
  run.client(preface + settings({{0x4, 5}}) + headers(1, enc.encode(request("blocked.test", "/"))));
  Decoder client;
  const Walk w = walk(run.gate->take_to_client(), client);
  ASSERT_EQ(w.blocks.size(), 1u);
  EXPECT_EQ(w.blocks[0].fields[2], (std::pair<std::string, std::string>{"content-length", "5"}));
  ASSERT_EQ(w.others.size(), 1u);  // END_STREAM on HEADERS' request: no RST_STREAM
  EXPECT_EQ(w.others[0].payload, "<p>bl");
}

TEST(H2RequestGate, InjectionWaitsForAServerFrameBoundary) {
  Encoder enc, server;
  Harness run;
  // HEADERS [0, 10), CONTINUATION [10, 19), DATA [19, 128).
  const std::string response = frame(headers_type, 0, 2, server.encode({{":status", "200"}})) +
                               frame(continuation_type, end_headers, 2, "") + data(2, std::string(100, 'd'));
  ASSERT_EQ(response.size(), 128u);
  EXPECT_EQ(run.server(response.substr(0, 5)).inject, "");
  run.client(preface + headers(1, enc.encode(request("blocked.test", "/"))));
  EXPECT_EQ(run.gate->take_to_client(), "");  // inside the HEADERS frame's header
  ServerStep step = run.server(response.substr(5, 10));
  EXPECT_EQ(step.inject, "");
  EXPECT_EQ(run.gate->take_to_client(), "");  // inside the header block
  step = run.server(response.substr(15, 20));
  EXPECT_EQ(step.split, 4u);  // after the CONTINUATION, before the DATA frame
  Decoder client;
  EXPECT_EQ(walk(step.inject, client).blocks.size(), 1u);
  EXPECT_EQ(run.gate->take_to_client(), "");
}

TEST(H2RequestGate, WindowUpdatesAreChargedForTheInjectedPage) {
  Encoder enc;
  Harness run;
  run.client(preface + headers(1, enc.encode(request("blocked.test", "/"))));  // page: 14 bytes
  (void)run.gate->take_to_client();
  const std::size_t before = run.to_server.size();
  run.client(window_update(0, 10));  // all owed to the gate: dropped
  EXPECT_EQ(run.to_server.size(), before);
  run.client(window_update(0, 100));  // 4 still owed
  EXPECT_EQ(run.to_server.substr(before), window_update(0, 96));
  run.client(window_update(0, 7) + window_update(3, 5));  // stream 3 is idle upstream: dropped
  EXPECT_EQ(run.to_server.substr(before), window_update(0, 96) + window_update(0, 7));
}

TEST(H2RequestGate, TrailersPassWithoutADecision) {
  Encoder enc;
  std::string in = preface + headers(1, enc.encode(request("a.test", "/up")), 0) + data(1, "x") +
                   headers(1, enc.encode({{"x-sum", "1"}}));
  Harness run;
  run.client(in);
  EXPECT_EQ(run.to_server, in);
  EXPECT_EQ(run.heads.size(), 1u);
  // After a dropped block, trailers are re-encoded like any block.
  std::string more = headers(3, enc.encode(request("a.test", "/up")), 0) +
                     headers(5, enc.encode(request("blocked.test", "/"))) + data(3, "y") +
                     headers(3, enc.encode({{"x-sum", "1"}}));
  run.client(more);
  Decoder upstream;
  const Walk w = walk(after_preface(run.to_server), upstream);
  ASSERT_TRUE(w.ok);
  ASSERT_EQ(w.blocks.size(), 4u);
  EXPECT_EQ(w.blocks[3].fields, (Fields{{"x-sum", "1"}}));
  EXPECT_TRUE(w.blocks[3].end_stream);
  EXPECT_EQ(run.heads.size(), 3u);
}

TEST(H2RequestGate, HeadFieldsAndAuthorityFallback) {
  Encoder enc;
  Harness run;
  run.client(preface + headers(1, enc.encode({{":method", "CONNECT"}, {":protocol", "websocket"},
                                              {":scheme", "https"}, {":path", "/ws"}, {"host", "h.test"}})));
  ASSERT_EQ(run.heads.size(), 1u);
  EXPECT_EQ(run.heads[0].method, "CONNECT");
  EXPECT_EQ(run.heads[0].upgrade, "websocket");
  EXPECT_EQ(run.heads[0].authority, "h.test");
}

struct BadCase {
  const char* name;
  std::string bytes;  // after the preface (except for the preface case)
  bool with_preface = true;
};

std::vector<BadCase> bad_cases() {
  Encoder enc;
  Fields many = request("a.test", "/");
  for (int i = 0; i < 300; ++i) many.emplace_back("x-" + std::to_string(i), "v");
  const std::string raw(20000, '\x7f');  // no Huffman gain: one frame past 16384 bytes
  return {
      {"bad_preface", "GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n", false},
      {"continuation_out_of_sequence", frame(continuation_type, end_headers, 1, "\x82")},
      {"interrupted_block", frame(headers_type, 0, 1, enc.encode(request("a.test", "/"))) + window_update(0, 1)},
      {"frame_too_large", data(1, std::string(16385, 'x'))},
      {"hpack_garbage", headers(1, "\xff\xff\xff\xff\xff")},
      {"too_many_fields", headers(1, Encoder().encode(many))},
      {"frame_past_16384", headers(1, Encoder().encode(request("a.test", "/", {{"x", raw}})))},
      {"even_stream", headers(2, Encoder().encode(request("a.test", "/")))},
      {"two_authorities", headers(1, Encoder().encode({{":authority", "a.test"}, {":authority", "blocked.test"}}))},
      {"host_differs", headers(1, Encoder().encode(request("a.test", "/", {{"host", "blocked.test"}})))},
  };
}

class H2Malformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(H2Malformed, ClosesWithGoaway) {
  const BadCase& c = GetParam();
  for (const auto& cuts : chunkings(std::min<std::size_t>(c.bytes.size() + 24, 200))) {
    Harness run;
    run.client((c.with_preface ? preface : "") + c.bytes, cuts);
    ASSERT_EQ(run.errors.size(), 1u);
    EXPECT_TRUE(run.closed);
    EXPECT_EQ(run.to_server.find("blocked"), std::string::npos);
    Decoder client;
    const Walk w = walk(run.to_client, client);
    ASSERT_EQ(w.others.size(), 1u);
    EXPECT_EQ(w.others[0].type, goaway_type);
    EXPECT_EQ(get_u32(w.others[0].payload, 4), 1u);  // PROTOCOL_ERROR
    const std::size_t before = run.to_server.size();
    run.client(preface);
    EXPECT_EQ(run.to_server.size(), before);
  }
}

TEST_P(H2Malformed, RelaysUnparsedWhenAllowed) {
  const BadCase& c = GetParam();
  GateSettings settings;
  settings.relay_unparsed_on_error = true;
  const std::string in = (c.with_preface ? preface : "") + c.bytes;
  for (const auto& cuts : chunkings(std::min<std::size_t>(in.size(), 200))) {
    Harness run(settings);
    run.client(in, cuts);
    run.client("more");
    ASSERT_EQ(run.errors.size(), 1u);
    EXPECT_FALSE(run.closed);
    EXPECT_EQ(run.to_server, in + "more");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, H2Malformed, ::testing::ValuesIn(bad_cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(H2RequestGate, DecodedBytesCap) {
  GateSettings settings;
  settings.limits.max_header_bytes = 200;
  Encoder enc;
  Harness run(settings);
  const Fields f = {{"x", std::string(80, 'a')}};  // indexed: the next blocks name it in one byte
  run.client(preface + headers(1, enc.encode(request("a", "/", f))));
  EXPECT_TRUE(run.errors.empty());
  Fields twice = request("a", "/", f);
  twice.insert(twice.end(), f.begin(), f.end());
  run.client(headers(3, enc.encode(twice)));
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_NE(run.errors[0].find("max_header_bytes"), std::string::npos);
}

TEST(H2RequestGate, PrefaceHeldUntilComplete) {
  Harness run;
  run.client(preface.substr(0, 10));
  EXPECT_EQ(run.to_server, "");
  run.client(preface.substr(10) + settings({}));
  EXPECT_EQ(run.to_server, preface + settings({}));
}

TEST(H2RequestGate, NoUnparsedRelayOnceABlockWasDropped) {
  GateSettings settings;
  settings.relay_unparsed_on_error = true;
  Encoder enc;
  Harness run(settings);
  run.client(preface + headers(1, enc.encode(request("blocked.test", "/"))) + headers(3, "\xff\xff"));
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_TRUE(run.closed);
  EXPECT_EQ(run.to_server, preface);
  // The pending answer goes before the GOAWAY (the server is between frames).
  Decoder client;
  const Walk w = walk(run.to_client, client);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.blocks.size(), 1u);
  EXPECT_EQ(w.others.back().type, goaway_type);
}

TEST(H2RequestGate, GoawayWaitsForNoServerFrame) {
  Harness run;
  run.server(std::string("\x00\x00\x10\x00\x00\x00\x00\x00\x01", 9));  // DATA frame begun
  run.client("XYZ");
  EXPECT_TRUE(run.closed);
  EXPECT_EQ(run.to_client, "");
}

TEST(H2RequestGate, ServerSettingsBoundTheReencoderAndFrameSize) {
  Encoder enc;
  Harness run;
  run.server(settings({{0x1, 256}, {0x5, 32768}}));
  run.client(preface + headers(1, enc.encode(request("blocked.test", "/"))) +
             headers(3, enc.encode(request("a.test", "/", {{"x", std::string(20000, '\x7f')}}))));
  EXPECT_TRUE(run.errors.empty());  // a 20 KB frame is fine once the server allows 32 KB
  auto fs = frames(after_preface(run.to_server));
  ASSERT_TRUE(fs);
  ASSERT_FALSE(fs->empty());
  // Dynamic table size update to 0, then to 256 (RFC 7541 §6.3): 0x20, 0x3f 0xe1 0x01.
  EXPECT_EQ((*fs)[0].payload.substr(0, 4), std::string("\x20\x3f\xe1\x01", 4));
  for (const auto& f : *fs) EXPECT_LE(f.payload.size(), 16384u);
}

}  // namespace
}  // namespace tlsgate::http

namespace tlsgate::http {
namespace {

// A rewritten block is the first the gate's own encoder writes: the upstream's table is reset
// with it, and the client's 50 further blocks, which index entries of the edited one, still
// decode right at the upstream, edited where a rule applies and as sent elsewhere.
TEST(H2RequestGate, HeaderRulesReencodeAndLaterStreamsDecode) {
  Encoder enc;
  const Fields common = {{"user-agent", "browser/1"}, {"x-forwarded-for", "10.0.0.1"}, {"accept", "image/*"}};
  std::vector<Fields> sent, want;
  std::string in = preface + settings({{0x4, 1 << 20}});
  for (std::uint32_t i = 0; i < 52; ++i) {
    const bool edited = i % 2 == 1;
    const std::string path = "/img/" + std::to_string(i);
    Fields fields = request(edited ? "edit.test" : "a.test", path, common);
    if (i == 1) fields.emplace_back("youtube-restrict", "Off");
    sent.push_back(fields);
    want.push_back(edited ? request("edit.test", path, {{"user-agent", "browser/1"}, {"accept", "image/*"},
                                                        {"youtube-restrict", "Strict"}})
                          : fields);
    const bool with_body = i == 3;
    in += headers(2 * i + 1, enc.encode(fields), with_body ? 0 : end_stream);
    if (with_body) in += data(2 * i + 1, "posted", end_stream);
  }
  const std::string first_frame = headers(1, Encoder().encode(sent[0]));
  for (const auto& cuts : chunkings(in.size())) {
    Harness run;
    run.client(in, cuts);
    ASSERT_TRUE(run.errors.empty()) << run.errors[0];
    EXPECT_EQ(run.heads.size(), 52u);
    const std::string up = after_preface(run.to_server);
    EXPECT_EQ(up.substr(settings({{0x4, 1 << 20}}).size(), first_frame.size()), first_frame);  // before any edit: as sent
    Decoder upstream;
    const Walk w = walk(up, upstream);
    ASSERT_TRUE(w.ok);
    ASSERT_EQ(w.blocks.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(w.blocks[i].stream, 2 * i + 1);
      EXPECT_EQ(w.blocks[i].fields, want[i]) << i;
      EXPECT_EQ(w.blocks[i].end_stream, i != 3);
    }
    ASSERT_EQ(w.others.size(), 2u);  // SETTINGS and the DATA
    EXPECT_EQ(w.others[1].payload, "posted");
    EXPECT_EQ(run.gate->take_to_client(), "");
  }
}

TEST(H2RequestGate, AnEditThatChangesNothingForwardsTheClientsBytes) {
  Encoder enc;
  std::string in = preface + headers(1, enc.encode(request("absent.test", "/", {{"x-forwarded-for", "1"}})));
  in += headers(3, enc.encode(request("a.test", "/", {{"x-forwarded-for", "1"}})));
  Harness run;
  run.client(in);
  ASSERT_TRUE(run.errors.empty()) << run.errors[0];
  EXPECT_EQ(run.to_server, in);
}

// A block that grows past one frame goes up as HEADERS + CONTINUATION, none larger than 16384
// bytes even where the server allows more, with its priority and END_STREAM.
TEST(H2RequestGate, AnEditedBlockPastAFrameIsSplit) {
  Encoder enc;
  const std::string prio("\x00\x00\x00\x00\x10", 5);
  std::string in = preface + frame(headers_type, priority | end_stream | end_headers, 1,
                                   prio + enc.encode(request("big.test", "/", {{"x-big", "small"}})));
  in += headers(3, enc.encode(request("a.test", "/next", {{"x-big", "small"}})));
  for (const auto& cuts : chunkings(in.size())) {
    Harness run;
    run.server(settings({{0x5, 1 << 20}}));
    run.client(in, cuts);
    ASSERT_TRUE(run.errors.empty()) << run.errors[0];
    const auto fs = frames(after_preface(run.to_server));
    ASSERT_TRUE(fs);
    ASSERT_GE(fs->size(), 3u);
    EXPECT_EQ((*fs)[0].type, headers_type);
    EXPECT_EQ((*fs)[0].flags, priority | end_stream);
    EXPECT_EQ((*fs)[1].type, continuation_type);
    Decoder upstream;
    const Walk w = walk(after_preface(run.to_server), upstream, 16384);
    ASSERT_TRUE(w.ok);
    ASSERT_EQ(w.blocks.size(), 2u);
    EXPECT_EQ(w.blocks[0].priority, prio);
    EXPECT_TRUE(w.blocks[0].end_stream);
    EXPECT_EQ(w.blocks[0].fields, request("big.test", "/", {{"x-big", big_value}}));
    EXPECT_EQ(w.blocks[1].fields, request("a.test", "/next", {{"x-big", "small"}}));
  }
}

// The server's SETTINGS must be the first frame the client gets: an answer to a
// stream blocked before the server spoke waits for it, then follows it.
TEST(H2RequestGate, AnswersWaitForTheServersPreface) {
  Harness h({}, false);
  Encoder client;
  h.client(preface + headers(1, client.encode(request("blocked.test", "/"))));
  ASSERT_EQ(h.heads.size(), 1u);
  EXPECT_TRUE(h.gate->holds_to_client());
  EXPECT_EQ(h.gate->take_to_client(), "") << "nothing before the server's preface";
  const ServerStep step = h.server(server_preface);
  EXPECT_EQ(step.split, server_preface.size()) << "the answer goes right after the preface";
  EXPECT_FALSE(step.inject.empty());
  EXPECT_FALSE(h.gate->holds_to_client());
}

}  // namespace
}  // namespace tlsgate::http

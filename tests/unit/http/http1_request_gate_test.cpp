// HTTP/1 request gate: heads decided before a byte moves, exact forwarding, strict framing
// (every smuggling shape an error), caps, both error modes, Upgrade answers framed from the
// server's responses; the same decisions and bytes at every chunking.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gateway/http/request_gate.hpp"

namespace tlsgate::http {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const std::string blocked_page = "<p>blocked by rule secret</p>";
const std::vector<HeaderEdit> safe_search = {{HeaderEdit::Kind::set, "YouTube-Restrict", "Strict"},
                                             {HeaderEdit::Kind::remove, "X-Forwarded-For", ""}};

// secret.example.test is blocked, moved.example.test redirected, tunnel.example.test misdirected.
RequestAnswer test_policy(const RequestHead& head) {
  const std::string host = head.authority.value_or("");
  if (host.starts_with("secret.example.test")) return {RequestAction::block, blocked_page, ""};
  if (host == "moved.example.test") return {RequestAction::redirect, "moved", "https://portal.test/"};
  if (host == "tunnel.example.test") return {RequestAction::misdirected, "elsewhere", ""};
  if (host == "edit.example.test") return {RequestAction::forward, "", "", safe_search};
  return {};
}

// What a gate did over a whole conversation.
struct Outcome {
  std::vector<RequestHead> heads;  // every head decided, in order
  std::string to_server, to_client, from_server;
  bool close = false;
  int errors = 0;
  std::optional<std::string> error;
  int resumes = 0;

  void add(ClientStep step) {
    EXPECT_FALSE(close) << "bytes after close";
    to_server += step.to_server;
    to_client += step.to_client;
    close = close || step.close;
    if (step.error) {
      ++errors;
      error = step.error;
    }
  }
};

struct Turn {
  bool client;
  std::string bytes;
};

using Splitter = std::function<std::vector<std::string>(const std::string&)>;

std::vector<std::string> whole(const std::string& s) { return {s}; }
std::vector<std::string> bytewise(const std::string& s) {
  std::vector<std::string> out;
  for (const char c : s) out.emplace_back(1, c);
  return out;
}
Splitter random_splits(unsigned seed) {
  return [seed](const std::string& s) mutable {
    std::mt19937 rng(seed++);
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < s.size()) {
      const std::size_t n = std::min<std::size_t>(s.size() - at, 1 + rng() % 40);
      out.push_back(s.substr(at, n));
      at += n;
    }
    return out;
  };
}

// Replays the turns through a gate, each turn cut by `split`; a server step that asks to
// resume the client is followed by from_client({}), as the relay does.
Outcome replay(const std::vector<Turn>& turns, GateSettings settings = {}, const Splitter& split = whole,
               DecideRequest policy = test_policy) {
  Outcome out;
  auto gate = make_http1_request_gate(std::move(settings), [&](const RequestHead& head) {
    out.heads.push_back(head);
    return policy(head);
  });
  for (const Turn& turn : turns) {
    for (const std::string& part : split(turn.bytes)) {
      if (out.close) return out;
      if (turn.client) {
        out.add(gate->from_client(as_bytes(part)));
        continue;
      }
      const ServerStep step = gate->from_server(as_bytes(part));
      EXPECT_EQ(step.split, part.size());
      EXPECT_TRUE(step.inject.empty());
      out.from_server += part;
      if (step.resume_client) {
        ++out.resumes;
        out.add(gate->from_client({}));
      }
    }
  }
  return out;
}

const std::string get_default = "GET / HTTP/1.1\r\nHost: default.example.test\r\n\r\n";
const std::string post_length =
    "POST /form HTTP/1.1\r\nHost: default.example.test\r\nContent-Length: 11\r\n\r\nhello world";
const std::string post_chunked =
    "POST /up HTTP/1.1\r\nHost: default.example.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
    "5;name=value;x=\"q s\"\r\nhello\r\n"
    "A\r\n0123456789\r\n"
    "0;last\r\nChecksum: abc\r\nX-Trailer: 1\r\n\r\n";
const std::string get_secret = "GET /private HTTP/1.1\r\nHost: secret.example.test\r\n\r\n";
const std::string upgrade_ws =
    "GET /chat HTTP/1.1\r\nHost: default.example.test\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const std::string switching =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
const std::string ok_empty = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
// Requests the header rules of edit.example.test apply to, and what goes upstream of them.
const std::string edited_post =
    "POST /a HTTP/1.1\r\nHost: edit.example.test\r\nX-Forwarded-For: 10.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    "youtube-restrict: Off\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
const std::string edited_post_up =
    "POST /a HTTP/1.1\r\nHost: edit.example.test\r\nTransfer-Encoding: chunked\r\nYouTube-Restrict: Strict\r\n\r\n"
    "5\r\nhello\r\n0\r\n\r\n";
const std::string edited_get = "GET /b HTTP/1.1\r\nHost: edit.example.test\r\n\r\n";
const std::string edited_get_up = "GET /b HTTP/1.1\r\nHost: edit.example.test\r\nYouTube-Restrict: Strict\r\n\r\n";

TEST(Http1RequestGate, KeepAliveWithBodiesForwardsEveryByte) {
  const std::string all = get_default + post_length + post_chunked + "\r\n" + get_default;
  const Outcome out = replay({{true, all}});
  EXPECT_EQ(out.to_server, all);
  EXPECT_EQ(out.errors, 0);
  EXPECT_FALSE(out.close);
  ASSERT_EQ(out.heads.size(), 4u);
  EXPECT_EQ(out.heads[0].method, "GET");
  EXPECT_EQ(out.heads[0].version, "1.1");
  EXPECT_EQ(out.heads[0].scheme, "https");
  EXPECT_EQ(out.heads[0].authority, "default.example.test");
  EXPECT_EQ(out.heads[0].path, "/");
  EXPECT_EQ(out.heads[0].stream_id, 0u);
  EXPECT_FALSE(out.heads[0].upgrade);
  EXPECT_EQ(out.heads[1].method, "POST");
  EXPECT_EQ(out.heads[1].path, "/form");
  EXPECT_EQ(out.heads[2].path, "/up");
  EXPECT_EQ(out.heads[3].path, "/");  // after a leading empty line
}

TEST(Http1RequestGate, BodiesAreNeverHeld) {
  auto gate = make_http1_request_gate({}, test_policy);
  const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";
  EXPECT_EQ(gate->from_client(as_bytes(head + "abc")).to_server, head + "abc");
  EXPECT_EQ(gate->from_client(as_bytes("defg")).to_server, "defg");
  EXPECT_EQ(gate->from_client(as_bytes("hij" + get_secret.substr(0, 10))).to_server, "hij");
  const ClientStep step = gate->from_client(as_bytes(get_secret.substr(10)));
  EXPECT_TRUE(step.to_server.empty());
  EXPECT_TRUE(step.close);
}

// The relay's path: what goes up unchanged from the front of a chunk is named, not copied; bytes
// the gate held (a head split over chunks) come as its own copy.
TEST(Http1RequestGate, BorrowingNamesTheForwardedPrefixOfTheChunk) {
  auto gate = make_http1_request_gate({}, test_policy);
  const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
  const std::string chunk = head + "abc" + get_default.substr(0, 5);
  const ClientStep whole = gate->from_client_borrowing(as_bytes(chunk));
  EXPECT_EQ(whole.input_prefix, head.size() + 3);  // the partial head behind it is held
  EXPECT_TRUE(whole.to_server.empty());
  const ClientStep completed = gate->from_client_borrowing(as_bytes(get_default.substr(5)));
  EXPECT_EQ(completed.input_prefix, 0u);
  EXPECT_EQ(completed.to_server, get_default);
  const ClientStep blocked = gate->from_client_borrowing(as_bytes(get_secret));
  EXPECT_EQ(blocked.input_prefix, 0u);
  EXPECT_TRUE(blocked.to_server.empty());
  EXPECT_TRUE(blocked.close);
}

TEST(Http1RequestGate, BorrowingAfterAnUpgradePassesWholeChunks) {
  auto gate = make_http1_request_gate({}, test_policy);
  EXPECT_EQ(gate->from_client_borrowing(as_bytes(upgrade_ws)).input_prefix, upgrade_ws.size());
  EXPECT_TRUE(gate->from_server(as_bytes(switching)).resume_client);
  const ClientStep frames = gate->from_client_borrowing(as_bytes("\x81\x05hello"));
  EXPECT_EQ(frames.input_prefix, 7u);
  EXPECT_TRUE(frames.to_server.empty());
}

TEST(Http1RequestGate, BlockedSecondRequestForwardsExactlyTheFirst) {
  const Outcome out = replay({{true, post_chunked + get_secret + get_default}});
  EXPECT_EQ(out.to_server, post_chunked);
  EXPECT_TRUE(out.close);
  EXPECT_EQ(out.errors, 0);
  ASSERT_EQ(out.heads.size(), 2u);  // nothing after the blocked head is decided
  EXPECT_EQ(out.to_client,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                std::to_string(blocked_page.size()) + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" +
                blocked_page);
}

TEST(Http1RequestGate, AnswersCarryTheRequestVersion) {
  const Outcome redirect = replay({{true, "GET /a HTTP/1.0\r\nHost: moved.example.test\r\n\r\n"}});
  EXPECT_EQ(redirect.to_client,
            "HTTP/1.0 302 Found\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\nLocation: https://portal.test/\r\n\r\nmoved");
  const Outcome misdirected = replay({{true, "GET / HTTP/1.1\r\nHost: tunnel.example.test\r\n\r\n"}});
  EXPECT_TRUE(misdirected.to_client.starts_with("HTTP/1.1 421 Misdirected Request\r\n"));
  EXPECT_TRUE(misdirected.to_client.ends_with("\r\n\r\nelsewhere"));
  EXPECT_TRUE(misdirected.to_server.empty());
  EXPECT_TRUE(misdirected.close);
}

TEST(Http1RequestGate, PipelinedRequestsAreDecidedOneByOne) {
  auto gate = make_http1_request_gate({}, test_policy);
  const ClientStep step = gate->from_client(as_bytes(get_default + post_length + get_secret + get_default));
  EXPECT_EQ(step.to_server, get_default + post_length);
  EXPECT_TRUE(step.close);
}

TEST(Http1RequestGate, AbsoluteFormAuthorityWinsOverHost) {
  const Outcome out = replay({{true, "GET http://secret.example.test:8080/x?q HTTP/1.1\r\nHost: default.example.test\r\n\r\n"}});
  ASSERT_EQ(out.heads.size(), 1u);
  EXPECT_EQ(out.heads[0].authority, "secret.example.test:8080");
  EXPECT_EQ(out.heads[0].path, "http://secret.example.test:8080/x?q");
  EXPECT_TRUE(out.to_server.empty());
  EXPECT_TRUE(out.close);
  const Outcome connect = replay({{true, "CONNECT secret.example.test:443 HTTP/1.1\r\nHost: a\r\n\r\n"}});
  ASSERT_EQ(connect.heads.size(), 1u);
  EXPECT_EQ(connect.heads[0].authority, "secret.example.test:443");
}

TEST(Http1RequestGate, Http10WithoutHostHasNoAuthority) {
  const Outcome out = replay({{true, "GET /old HTTP/1.0\r\nUser-Agent: x\r\n\r\n"}});
  ASSERT_EQ(out.heads.size(), 1u);
  EXPECT_EQ(out.heads[0].version, "1.0");
  EXPECT_FALSE(out.heads[0].authority.has_value());
  EXPECT_EQ(out.errors, 0);
}

// A broken message after a good one: the good one goes upstream, nothing of the broken head.
struct BadCase {
  const char* name;
  std::string bytes;     // sent after get_default
  std::string forwarded;  // of `bytes` (a body error lets the allowed head and body prefix through)
};

std::vector<BadCase> bad_cases() {
  const std::string h = "POST / HTTP/1.1\r\nHost: a\r\n";
  const std::string chunked = h + "Transfer-Encoding: chunked\r\n\r\n";
  return {
      {"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ""},
      {"two_hosts_case", "GET / HTTP/1.1\r\nHost: a\r\nhOST: a\r\n\r\n", ""},
      {"differing_lengths", h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", ""},
      {"differing_length_list", h + "Content-Length: 5, 6\r\n\r\nhello!", ""},
      {"length_with_chunked", h + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""},
      {"chunked_then_length", h + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", ""},
      {"te_not_chunked_last", h + "Transfer-Encoding: chunked, gzip\r\n\r\n", ""},
      {"te_gzip_only", h + "Transfer-Encoding: gzip\r\n\r\n", ""},
      {"te_chunked_twice", h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", ""},
      {"te_with_space_value", h + "Transfer-Encoding: chunked x\r\n\r\n", ""},
      {"te_in_http10", "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""},
      {"obs_fold", "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", ""},
      {"space_before_colon", h + "Content-Length : 5\r\n\r\nhello", ""},
      {"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", ""},
      {"bare_lf", "GET / HTTP/1.1\nHost: a\n\n", ""},
      {"bare_lf_in_field", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", ""},
      {"bare_cr", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", ""},
      {"nul_in_value", std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 36), ""},
      {"bad_field_name", "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", ""},
      {"no_colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", ""},
      {"bad_host_value", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ""},
      {"host_with_userinfo", "GET / HTTP/1.1\r\nHost: user@secret.example.test\r\n\r\n", ""},
      {"absolute_with_userinfo", "GET http://a@secret.example.test/ HTTP/1.1\r\nHost: a\r\n\r\n", ""},
      {"two_spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", ""},
      {"no_version", "GET /\r\nHost: a\r\n\r\n", ""},
      {"http2_version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", ""},
      {"http12_version", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", ""},
      {"lowercase_version", "GET / http/1.1\r\nHost: a\r\n\r\n", ""},
      {"trailing_space_version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", ""},
      {"bad_method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", ""},
      {"unknown_target_form", "GET secret.example.test/ HTTP/1.1\r\nHost: a\r\n\r\n", ""},
      {"asterisk_not_options", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", ""},
      {"plus_length", h + "Content-Length: +5\r\n\r\nhello", ""},
      {"length_with_space", h + "Content-Length: 5 5\r\n\r\nhello", ""},
      {"huge_length", h + "Content-Length: 1234567890123456789\r\n\r\n", ""},
      {"chunk_size_not_hex", chunked + "5g\r\nhello\r\n0\r\n\r\n", chunked + "5"},
      {"chunk_size_space", chunked + "5 \r\nhello\r\n0\r\n\r\n", chunked + "5"},
      {"chunk_size_empty", chunked + "\r\n", chunked},
      {"chunk_size_huge", chunked + "fffffffffffffffff\r\n", chunked + "ffffffffffffff"},
      {"chunk_data_no_crlf", chunked + "5\r\nhelloX\r\n0\r\n\r\n", chunked + "5\r\nhello"},
      {"chunk_line_bare_lf", chunked + "5\nhello\r\n0\r\n\r\n", chunked + "5"},
      {"chunk_ext_control", chunked + "5;a\x01\r\nhello\r\n", chunked + "5;a"},
      {"trailer_obs_fold", chunked + "0\r\nA: b\r\n c\r\n\r\n", chunked + "0\r\nA: b\r\n"},
      {"trailer_no_colon", chunked + "0\r\nAb\r\n\r\n", chunked + "0\r\nAb"},
      {"chunk_line_too_long", chunked + "5;" + std::string(5000, 'x') + "\r\n", chunked + "5;" + std::string(4094, 'x')},
  };
}

TEST(Http1RequestGate, SmugglingShapesAreParseErrors) {
  for (const BadCase& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    for (const Splitter& split : {Splitter(whole), Splitter(bytewise)}) {
      const Outcome out = replay({{true, get_default + c.bytes + get_default}}, {}, split);
      EXPECT_EQ(out.errors, 1);
      EXPECT_TRUE(out.close);
      EXPECT_EQ(out.to_server, get_default + c.forwarded);
      EXPECT_TRUE(out.to_client.starts_with("HTTP/1.1 403 Forbidden\r\n"));
      EXPECT_NE(out.to_client.find("could not inspect"), std::string::npos);
    }
  }
}

TEST(Http1RequestGate, RelayUnparsedOnErrorSendsTheRestOn) {
  GateSettings settings;
  settings.relay_unparsed_on_error = true;
  auto gate = make_http1_request_gate(settings, test_policy);
  const std::string broken = "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n";
  EXPECT_EQ(gate->from_client(as_bytes(get_default + broken)).to_server, get_default);  // held, not yet known
  const ClientStep step = gate->from_client(as_bytes("\r\n" + get_secret));
  EXPECT_TRUE(step.error.has_value());
  EXPECT_FALSE(step.close);
  EXPECT_TRUE(step.to_client.empty());
  EXPECT_EQ(step.to_server, broken + "\r\n" + get_secret);
  const ClientStep after = gate->from_client(as_bytes(get_secret));
  EXPECT_FALSE(after.error.has_value());  // reported once
  EXPECT_EQ(after.to_server, get_secret);
}

TEST(Http1RequestGate, HeadCaps) {
  GateSettings settings;
  settings.limits.max_header_bytes = 200;
  settings.limits.max_header_fields = 4;
  const std::string start = "GET / HTTP/1.1\r\nHost: default.example.test\r\nX-Pad: ";
  const std::string exact = start + std::string(200 - start.size() - 4, 'p') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 200u);
  EXPECT_EQ(replay({{true, exact}}, settings).to_server, exact);
  const std::string over = start + std::string(200 - start.size() - 3, 'p') + "\r\n\r\n";
  EXPECT_EQ(replay({{true, over}}, settings).errors, 1);
  // Past the cap with no end in sight: an error at once, not a wait.
  EXPECT_EQ(replay({{true, start + std::string(300, 'p')}}, settings).errors, 1);
  const std::string four = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  EXPECT_EQ(replay({{true, four}}, settings).errors, 0);
  const Outcome five = replay({{true, "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"}}, settings);
  EXPECT_EQ(five.errors, 1);
  EXPECT_TRUE(five.to_server.empty());
  const std::string trailers = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n";
  EXPECT_EQ(replay({{true, trailers}}, settings).errors, 1);
}

TEST(Http1RequestGate, UpgradeAnsweredWith101PassesBytesUnparsed) {
  const std::string frames = "\x81\x05hello GET / HTTP/1.1\r\nHost: secret.example.test\r\n\r\n";
  for (const Splitter& split : {Splitter(whole), Splitter(bytewise), random_splits(7)}) {
    const Outcome out = replay({{true, upgrade_ws + frames}, {false, switching + "\x81\x02hi"}, {true, get_secret}},
                               {}, split);
    EXPECT_EQ(out.errors, 0);
    EXPECT_FALSE(out.close);
    EXPECT_EQ(out.to_server, upgrade_ws + frames + get_secret);
    EXPECT_GE(out.resumes, 1);
    ASSERT_EQ(out.heads.size(), 1u);
    EXPECT_EQ(out.heads[0].upgrade, "websocket");
  }
}

TEST(Http1RequestGate, BytesBehindAnUpgradeWaitForItsAnswer) {
  auto gate = make_http1_request_gate({}, test_policy);
  EXPECT_EQ(gate->from_client(as_bytes(upgrade_ws + "early")).to_server, upgrade_ws);
  EXPECT_TRUE(gate->from_client(as_bytes("more")).to_server.empty());
  EXPECT_FALSE(gate->from_server(as_bytes("HTTP/1.1 101 Switching")).resume_client);
  EXPECT_TRUE(gate->from_server(as_bytes(" Protocols\r\n\r\n")).resume_client);
  EXPECT_EQ(gate->from_client({}).to_server, "earlymore");
}

TEST(Http1RequestGate, RefusedUpgradeParsesTheHeldBytesAsRequests) {
  const std::vector<std::string> refusals = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain",
      "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n0\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n",
  };
  for (const std::string& refusal : refusals) {
    SCOPED_TRACE(refusal);
    for (const Splitter& split : {Splitter(whole), Splitter(bytewise), random_splits(3)}) {
      const Outcome blocked = replay({{true, upgrade_ws + get_default + get_secret}, {false, refusal}}, {}, split);
      EXPECT_EQ(blocked.to_server, upgrade_ws + get_default);
      EXPECT_TRUE(blocked.close);
      EXPECT_EQ(blocked.heads.size(), 3u);
      const Outcome allowed = replay({{true, upgrade_ws + get_default}, {false, refusal + ok_empty}, {true, post_length}},
                                     {}, split);
      EXPECT_EQ(allowed.to_server, upgrade_ws + get_default + post_length);
      EXPECT_FALSE(allowed.close);
      EXPECT_EQ(allowed.errors, 0);
    }
  }
}

TEST(Http1RequestGate, HeldBytesBehindAnUpgradeAreBounded) {
  GateSettings settings;
  settings.limits.max_header_bytes = 1000;
  const Outcome out = replay({{true, upgrade_ws + std::string(1001, 'x')}}, settings);
  EXPECT_EQ(out.errors, 1);
  EXPECT_EQ(out.to_server, upgrade_ws);
  EXPECT_TRUE(out.close);
}

// Responses before the Upgrade's answer must be framed right for its 101 to be found.
TEST(Http1RequestGate, ResponsesAreFramedToFindTheUpgradeAnswer) {
  const std::string expect_continue =
      "POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
  const std::string head_request = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::vector<Turn> turns = {
      {false, "HTTP/1.1 408 Request Timeout\r\nContent-Length: 3\r\n\r\nold"},  // unsolicited
      {true, expect_continue},
      {false, "HTTP/1.1 100 Continue\r\n\r\n"},
      {true, "body" + head_request + get_default + get_default + upgrade_ws + "after"},
      {false, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
              "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"                    // HEAD: no body
              "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n"              // 204: no body
              "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"  // 304: no body
              + switching},
  };
  for (const Splitter& split : {Splitter(whole), Splitter(bytewise), random_splits(11)}) {
    const Outcome out = replay(turns, {}, split);
    EXPECT_EQ(out.errors, 0);
    EXPECT_EQ(out.to_server, expect_continue + "body" + head_request + get_default + get_default + upgrade_ws + "after");
  }
}

TEST(Http1RequestGate, CloseDelimitedResponseSwallowsALater101) {
  auto gate = make_http1_request_gate({}, test_policy);
  EXPECT_EQ(gate->from_client(as_bytes(get_default + upgrade_ws + "held")).to_server, get_default + upgrade_ws);
  const ServerStep step = gate->from_server(as_bytes("HTTP/1.0 200 OK\r\n\r\nbody until close" + switching));
  EXPECT_FALSE(step.resume_client);  // the 101 is body bytes: the Upgrade has no answer yet
  EXPECT_TRUE(gate->from_client({}).to_server.empty());
}

TEST(Http1RequestGate, BrokenResponsesLeaveAnUpgradeUnanswerable) {
  auto gate = make_http1_request_gate({}, test_policy);
  gate->from_client(as_bytes(upgrade_ws + "held"));
  EXPECT_TRUE(gate->from_server(as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")).resume_client);
  const ClientStep step = gate->from_client({});
  EXPECT_TRUE(step.error.has_value());
  EXPECT_TRUE(step.close);
  EXPECT_TRUE(step.to_server.empty());
}

// Every chunking gives the same decisions and the same bytes.
TEST(Http1RequestGate, EveryChunkingGivesTheSameResult) {
  const std::vector<Turn> turns = {
      {true, "\r\n" + get_default + post_chunked + post_length},
      {false, ok_empty + ok_empty + ok_empty},
      {true, upgrade_ws + get_default},
      {false, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + ok_empty},
      {true, "GET http://moved.example.test/ HTTP/1.1\r\nHost: a\r\n\r\n" + get_default},
  };
  const Outcome reference = replay(turns);
  ASSERT_EQ(reference.heads.size(), 6u);
  EXPECT_TRUE(reference.close);
  std::vector<Splitter> splitters = {bytewise};
  for (unsigned seed = 1; seed <= 50; ++seed) splitters.push_back(random_splits(seed));
  for (const Splitter& split : splitters) {
    const Outcome out = replay(turns, {}, split);
    EXPECT_EQ(out.to_server, reference.to_server);
    EXPECT_EQ(out.to_client, reference.to_client);
    ASSERT_EQ(out.heads.size(), reference.heads.size());
    for (std::size_t i = 0; i < out.heads.size(); ++i) {
      EXPECT_EQ(out.heads[i].path, reference.heads[i].path);
      EXPECT_EQ(out.heads[i].authority, reference.heads[i].authority);
    }
  }
  // And every split point of the first turn in two.
  const std::string first = turns[0].bytes;
  for (std::size_t at = 1; at < first.size(); ++at) {
    const Outcome out = replay({{true, first.substr(0, at)}, {true, first.substr(at)}});
    EXPECT_EQ(out.to_server, first) << at;
    EXPECT_EQ(out.heads.size(), 3u) << at;
  }
}

// Header rules rewrite the heads they apply to; bodies, other hosts' heads and pipelined
// requests around them move as sent, at every chunking.
TEST(Http1RequestGate, HeaderRulesRewriteHeadsAtEveryChunking) {
  const std::string in = get_default + edited_post + post_length + "\r\n" + edited_get + get_default;
  const std::string want = get_default + edited_post_up + post_length + "\r\n" + edited_get_up + get_default;
  std::vector<Splitter> splitters = {whole, bytewise};
  for (unsigned seed = 1; seed <= 50; ++seed) splitters.push_back(random_splits(seed));
  for (const Splitter& split : splitters) {
    const Outcome out = replay({{true, in}}, {}, split);
    EXPECT_EQ(out.to_server, want);
    EXPECT_EQ(out.heads.size(), 5u);
    EXPECT_EQ(out.errors, 0);
    EXPECT_FALSE(out.close);
  }
  for (std::size_t at = 1; at < in.size(); ++at) {
    const Outcome out = replay({{true, in.substr(0, at)}, {true, in.substr(at)}});
    EXPECT_EQ(out.to_server, want) << at;
  }
}

TEST(Http1RequestGate, AnEditedHeadThenARefusalOrAnError) {
  const Outcome blocked = replay({{true, edited_get + get_secret + get_default}});
  EXPECT_EQ(blocked.to_server, edited_get_up);
  EXPECT_TRUE(blocked.close);
  const std::string bad = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
  const Outcome failed = replay({{true, edited_post + bad}});
  EXPECT_EQ(failed.to_server, edited_post_up);
  EXPECT_EQ(failed.errors, 1);
  EXPECT_TRUE(failed.close);
  GateSettings unparsed;
  unparsed.relay_unparsed_on_error = true;
  const Outcome relayed = replay({{true, edited_get + bad + "tail"}}, unparsed);
  EXPECT_EQ(relayed.to_server, edited_get_up + bad + "tail");
  EXPECT_FALSE(relayed.close);
}

// A switch request's head is rewritten too; the bytes held behind it are not.
TEST(Http1RequestGate, AnEditedUpgradeRequest) {
  const std::string ws = "GET /chat HTTP/1.1\r\nHost: edit.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const std::string ws_up = "GET /chat HTTP/1.1\r\nHost: edit.example.test\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nYouTube-Restrict: Strict\r\n\r\n";
  for (const Splitter& split : {Splitter(whole), Splitter(bytewise), random_splits(5)}) {
    const Outcome out = replay({{true, ws + "frames"}, {false, switching}, {true, "more"}}, {}, split);
    EXPECT_EQ(out.to_server, ws_up + "frames" + "more");
  }
}

}  // namespace
}  // namespace tlsgate::http

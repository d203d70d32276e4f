// Cleartext gate: HTTP/1 or the h2 preface, told from the client's first bytes at any split.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/request_gate.hpp"

namespace tlsgate::http {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct Seen {
  std::vector<RequestHead> heads;
  DecideRequest decide() {
    return [this](const RequestHead& head) {
      heads.push_back(head);
      return RequestAnswer{};
    };
  }
};

TEST(CleartextRequestGate, Http1AtEverySplit) {
  // "POST" shares its first byte with the preface ("PRI"): held until the second byte.
  const std::string request = "POST /a HTTP/1.1\r\nHost: plain.test\r\nContent-Length: 2\r\n\r\nhi";
  for (std::size_t at = 0; at <= request.size(); ++at) {
    Seen seen;
    GateSettings settings;
    settings.scheme = "http";
    auto gate = make_cleartext_request_gate(settings, seen.decide());
    const ClientStep first = gate->from_client(as_bytes(std::string_view(request).substr(0, at)));
    if (at == 1) {
      EXPECT_TRUE(first.to_server.empty());
    }
    const ClientStep second = gate->from_client(as_bytes(std::string_view(request).substr(at)));
    EXPECT_EQ(first.to_server + second.to_server, request) << at;
    ASSERT_EQ(seen.heads.size(), 1u) << at;
    EXPECT_EQ(seen.heads[0].scheme, "http");
    EXPECT_EQ(seen.heads[0].authority, "plain.test");
  }
}

TEST(CleartextRequestGate, PrefacePrefixIsHeldThenGoesToTheH2Gate) {
  const std::string_view preface = h2::client_preface;
  for (std::size_t at = 1; at < preface.size(); ++at) {
    Seen seen;
    auto gate = make_cleartext_request_gate({}, seen.decide());
    const ClientStep held = gate->from_client(as_bytes(preface.substr(0, at)));
    EXPECT_TRUE(held.to_server.empty()) << at;
    const ClientStep rest = gate->from_client(as_bytes(preface.substr(at)));
    // Not HTTP/1: "PRI * HTTP/2.0" would be a parse error there.
    EXPECT_FALSE(rest.error.has_value()) << at;
    EXPECT_FALSE(rest.close) << at;
    EXPECT_TRUE(seen.heads.empty());
  }
}

TEST(CleartextRequestGate, APrefaceThatBreaksOffIsHttp1) {
  Seen seen;
  auto gate = make_cleartext_request_gate({}, seen.decide());
  EXPECT_TRUE(gate->from_client(as_bytes("PRI * HTTP/2.0\r\n")).to_server.empty());
  const ClientStep step = gate->from_client(as_bytes("Host: x\r\n\r\n"));
  EXPECT_TRUE(step.error.has_value());  // asterisk-form outside OPTIONS, and HTTP/2.0
  EXPECT_TRUE(step.close);
  EXPECT_TRUE(step.to_server.empty());
}

TEST(CleartextRequestGate, AServerThatSpeaksFirstMeansHttp1) {
  Seen seen;
  GateSettings settings;
  settings.limits.max_header_bytes = 64;
  auto gate = make_cleartext_request_gate(settings, seen.decide());
  EXPECT_TRUE(gate->from_client(as_bytes("P")).to_server.empty());
  const std::string banner = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 40\r\n\r\n" + std::string(40, 'x');
  const ServerStep step = gate->from_server(as_bytes(banner));
  EXPECT_EQ(step.split, banner.size());
  EXPECT_TRUE(step.resume_client);
  EXPECT_TRUE(gate->from_client({}).to_server.empty());  // "P" is a partial HTTP/1 head now
  const ClientStep rest = gate->from_client(as_bytes("UT / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(rest.to_server, "PUT / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(seen.heads.size(), 1u);
}

}  // namespace
}  // namespace tlsgate::http

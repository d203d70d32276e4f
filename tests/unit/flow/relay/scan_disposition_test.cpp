// What the gateway does with a scanned response: clean delivers, infected never does (the ICAP
// server's page from c-icap's real answer, or tlsgate's), no verdict follows on_error; and what
// the http line says each time.
#include "gateway/flow/relay/scan_disposition.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "gateway/icap/icap_response.hpp"

namespace tlsgate {
namespace {

using OnError = icap::ScanConfig::OnError;

std::string read_capture(const std::string& name) {
  std::ifstream in(std::string(TLSGATE_TEST_DATA_DIR) + "/icap/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

icap::Verdict verdict(icap::ScanOutcome outcome, std::string threat = {}, std::string detail = {}) {
  icap::Verdict v;
  v.outcome = outcome;
  v.threat = std::move(threat);
  v.detail = std::move(detail);
  return v;
}

TEST(ScanDisposition, Table) {
  struct Case {
    const char* name;
    icap::Verdict verdict;
    OnError on_error;
    bool deliver;
    const char* result;
    const char* on_error_text;
  };
  const Case cases[] = {
      {"clean", verdict(icap::ScanOutcome::clean), OnError::block, true, "clean", ""},
      {"clean, on_error allow", verdict(icap::ScanOutcome::clean), OnError::allow, true, "clean", ""},
      {"infected is never delivered, whatever on_error", verdict(icap::ScanOutcome::infected, "Eicar"), OnError::allow,
       false, "infected", ""},
      {"error, allow", verdict(icap::ScanOutcome::error, {}, "timeout"), OnError::allow, true, "error", "allow"},
      {"error, block", verdict(icap::ScanOutcome::error, {}, "timeout"), OnError::block, false, "error", "block"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const ScanDisposition d = disposition_of(c.verdict, c.on_error);
    EXPECT_EQ(d.deliver, c.deliver);
    EXPECT_EQ(d.result, c.result);
    EXPECT_EQ(d.threat, c.verdict.threat);
    EXPECT_EQ(d.detail, c.verdict.detail);
    EXPECT_EQ(d.on_error, c.on_error_text);
    EXPECT_EQ(d.reply, "");  // no page from the server: the caller sends tlsgate's block page
  }
}

TEST(ScanDisposition, WithoutVerdict) {
  auto d = without_verdict("body past max_bytes (10)", OnError::allow);
  EXPECT_TRUE(d.deliver);
  EXPECT_EQ(d.result + " " + d.detail + " " + d.on_error, "error body past max_bytes (10) allow");
  d = without_verdict("body past max_bytes (10)", OnError::block);
  EXPECT_FALSE(d.deliver);
  EXPECT_EQ(d.on_error, "block");
}

TEST(ScanDisposition, TheIcapServersPageFromCicap) {
  const auto parsed = icap::parse_icap_response(read_capture("respmod_eicar_200.bin"));
  ASSERT_TRUE(parsed.is_complete()) << parsed.detail;
  const ScanDisposition d = disposition_of(icap::verdict_from(parsed.value), OnError::allow);
  EXPECT_FALSE(d.deliver);
  EXPECT_EQ(d.result, "infected");
  EXPECT_FALSE(d.threat.empty());
  // Its status and body, framed by length, closing the connection (c-icap's own head says HTTP/1.0).
  EXPECT_EQ(d.reply.rfind("HTTP/1.1 403 Blocked\r\nContent-Type: text/html\r\n", 0), 0u) << d.reply;
  EXPECT_NE(d.reply.find("Connection: close\r\n\r\n"), std::string::npos);
  EXPECT_NE(d.reply.find("VIRUS FOUND"), std::string::npos);
  const auto body = d.reply.substr(d.reply.find("\r\n\r\n") + 4);
  EXPECT_NE(d.reply.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
}

TEST(ScanDisposition, AReplacementHeadThatDoesNotParseIsNotSent) {
  icap::Verdict v = verdict(icap::ScanOutcome::infected, "X");
  v.replacement_body = "<p>x</p>";
  for (const char* head : {"", "garbage\r\n\r\n", "HTTP/1.1 999 Odd\r\n\r\n", "HTTP/1.1 403 Forbidden\r\n"}) {
    SCOPED_TRACE(head);
    v.replacement_head = head;
    EXPECT_EQ(icap_page(v), "");
  }
  v.replacement_head = "HTTP/1.0 451 Unavailable\r\nX: y\r\n\r\n";
  EXPECT_EQ(icap_page(v),
            "HTTP/1.1 451 Blocked\r\nContent-Type: text/html\r\nCache-Control: no-store\r\nContent-Length: 8\r\n"
            "Connection: close\r\n\r\n<p>x</p>");
}

}  // namespace
}  // namespace tlsgate

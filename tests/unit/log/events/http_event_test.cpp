#include "gateway/log/events/http_event.hpp"

#include <gtest/gtest.h>

#include "gateway/log/json_line.hpp"

namespace tlsgate::log {
namespace {

constexpr auto replace = nlohmann::ordered_json::error_handler_t::replace;

// The line as http_tap built it before: a tree, then dump.
std::string reference(const HttpEventFlow& f, http::HttpExchange e, const HttpEventAction& a = {}) {
  nlohmann::ordered_json line;
  line["event"] = "http";
  line["ts"] = std::string(f.ts);
  line["flow_id"] = f.flow_id;
  line["community_id"] = std::string(f.community_id);
  line["client"] = {{"ip", std::string(f.client_ip)}, {"port", f.client_port}};
  line["server"] = {{"ip", std::string(f.server_ip)}, {"port", f.server_port}};
  line["sni"] = f.sni ? nlohmann::ordered_json(*f.sni) : nlohmann::ordered_json(nullptr);
  line["action"] = std::string(a.action);
  if (!a.reason.empty()) line["reason"] = std::string(a.reason);
  if (a.rule) line["rule"] = *a.rule;
  if (a.would_block) line["would_block"] = *a.would_block;
  for (const std::string& r : a.header_rules) line["header_rules"].push_back(r);
  http::append_json(line, std::move(e));
  return line.dump(-1, ' ', false, replace);
}

http::HttpExchange exchange() {
  http::HttpExchange e;
  e.http_version = "1.1";
  e.method = "GET";
  e.scheme = "https";
  e.authority = "www.example.test";
  e.path = "/small?q=1";
  e.status = 200;
  e.request_headers.add("host", "www.example.test");
  e.request_headers.add("user-agent", "curl/7.88.1");
  e.response_headers.add("content-type", "text/html");
  e.response_body_bytes = 1024;
  e.response_content_type = "text/html";
  e.ms_to_first_byte = 0.153;
  e.ms_to_end = 12.0;
  return e;
}

TEST(HttpEvent, SameBytesAsTheTree) {
  const std::string sni = "www.example.test";
  const std::string odd_sni = "caf\xc3\xa9.\"test\"";  // escaped like the tree escapes it
  struct Case {
    const char* name;
    void (*change)(http::HttpExchange&);
    const std::string* sni;
  };
  const Case cases[] = {
      {"plain", [](http::HttpExchange&) {}, &sni},
      {"escaped_sni", [](http::HttpExchange&) {}, &odd_sni},
      {"no_sni_field", [](http::HttpExchange&) {}, nullptr},
      {"no_response", [](http::HttpExchange& e) {
         e.status.reset();
         e.ms_to_first_byte.reset();
         e.ms_to_end.reset();
         e.response_content_type.reset();
         e.error = "connection closed before response end";
       }, &sni},
      {"h2_bodies", [](http::HttpExchange& e) {
         e.http_version = "2";
         e.request_body_b64 = "aGVsbG8=";
         e.response_body_b64 = "";
         e.request_body_bytes = 5;
         e.request_content_type = "application/json";
       }, &sni},
      {"escapes", [](http::HttpExchange& e) {
         e.path = std::string("/a\"b\\c\n\r\t\b\f\x01\x1f\x7f", 15);
         e.method = "X-\"Q\"";
       }, &sni},
      {"utf8_and_invalid", [](http::HttpExchange& e) {
         e.path = "/caf\xc3\xa9/\xe2\x82\xac";
         e.authority = "bad\xff\xfe.test";
         e.error = "\xc0\x80 overlong";
       }, &sni},
      {"odd_doubles", [](http::HttpExchange& e) {
         e.ms_to_first_byte = 1e-7;
         e.ms_to_end = 123456789.125;
       }, &sni},
      {"big_numbers", [](http::HttpExchange& e) {
         e.status = -1;
         e.response_body_bytes = 18446744073709551615ull;
       }, &sni},
      {"no_headers", [](http::HttpExchange& e) {
         e.request_headers = {};
         e.response_headers = {};
       }, &sni},
      {"header_escapes_and_utf8", [](http::HttpExchange& e) {
         e.request_headers.add("x-\"q\"\\", std::string("a\"b\\c\n\r\t\b\f\x01\x1f\x7f", 13));
         e.request_headers.add("x-utf8", "caf\xc3\xa9 \xe2\x82\xac");
         e.response_headers.add("x-invalid\xff", "\xc0\x80 \xed\xa0\x80");  // replaced alike (U+FFFD)
         e.response_headers.add("x-empty", "");
       }, &sni},
      {"repeats_and_many_fields", [](http::HttpExchange& e) {
         for (int i = 0; i < 40; ++i) e.response_headers.add("x-" + std::to_string(i % 25), std::to_string(i));
         e.request_headers.add("cookie", "[redacted]", false);
         e.request_headers.add("cookie", "[redacted]", false);
       }, &sni},
  };
  std::string out;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    http::HttpExchange e = exchange();
    c.change(e);
    const HttpEventFlow flow{"2026-12-05T17:00:00.123Z", 18446744073709551615ull, "1:abc+/=",
                             "10.10.1.2", 54321, "fd10:2::2", 443, c.sni};
    write_http_event(out, flow, e);
    EXPECT_EQ(out, reference(flow, e));
    EXPECT_TRUE(nlohmann::json::accept(out));
  }
}

TEST(HttpEvent, ARequestTheGatewayAnsweredSaysWhyAndWhichRule) {
  http::HttpExchange e = exchange();
  e.status = 403;
  const std::string sni = "default.example.test";
  const std::string rule = "secret \"is\" blocked";
  const HttpEventFlow flow{"2026-12-05T17:00:00.123Z", 7, "1:abc+/=", "10.10.1.2", 54321, "10.10.2.2", 443, &sni};
  const HttpEventAction action{"block", "policy", &rule};
  std::string out;
  write_http_event(out, flow, e, action);
  EXPECT_EQ(out, reference(flow, e, action));
  const auto parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed["action"], "block");
  EXPECT_EQ(parsed["reason"], "policy");
  EXPECT_EQ(parsed["rule"], rule);
}

TEST(HttpEvent, AForwardedRequestNamesTheLogModeRuleThatWouldHaveBlockedIt) {
  const http::HttpExchange e = exchange();
  const std::string would = "watch ads";
  const HttpEventFlow flow{"2026-12-05T17:00:00.123Z", 8, "1:abc+/=", "10.10.1.2", 54321, "10.10.2.2", 80, nullptr};
  HttpEventAction action;
  action.would_block = &would;
  std::string out;
  write_http_event(out, flow, e, action);
  EXPECT_EQ(out, reference(flow, e, action));
  const auto parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed["action"], "allow");
  EXPECT_EQ(parsed["would_block"], would);
  write_http_event(out, flow, e);
  EXPECT_FALSE(nlohmann::json::parse(out).contains("would_block"));
}

TEST(HttpEvent, AForwardedRequestListsItsHeaderRules) {
  const http::HttpExchange e = exchange();
  const HttpEventFlow flow{"2026-12-05T17:00:00.123Z", 7, "1:abc+/=", "10.10.1.2", 54321, "10.10.2.2", 443, nullptr};
  const std::vector<std::string> one = {"set YouTube-Restrict"};
  const std::vector<std::string> two = {"set YouTube-Restrict", "remove X-\"Forwarded\"-For\xff"};
  std::string out;
  for (const auto* rules : {&one, &two}) {
    HttpEventAction action;
    action.header_rules = *rules;
    write_http_event(out, flow, e, action);
    EXPECT_EQ(out, reference(flow, e, action));
    EXPECT_EQ(nlohmann::json::parse(out)["header_rules"].size(), rules->size());
  }
  write_http_event(out, flow, e);
  EXPECT_FALSE(nlohmann::json::parse(out).contains("header_rules"));
}

TEST(JsonLine, StringsMatchNlohmann) {
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) all_ascii.push_back(static_cast<char>(c));
  for (const std::string& s : {std::string(), all_ascii, std::string("\xf0\x9f\x98\x80"), std::string("\xed\xa0\x80"),
                              std::string("ok\x80")}) {
    std::string out;
    append_string(out, s);
    EXPECT_EQ(out, nlohmann::ordered_json(s).dump(-1, ' ', false, replace));
  }
}

}  // namespace
}  // namespace tlsgate::log

namespace tlsgate::log {
namespace {

TEST(HttpEvent, ScanFieldLast) {
  http::HttpExchange e = exchange();
  const HttpEventFlow flow{"2026-12-05T17:00:00.123Z", 7, "1:abc+/=", "10.10.1.2", 54321, "10.10.2.2", 443, nullptr};
  struct Case {
    const char* name;
    HttpEventScan scan;
    const char* json;
  };
  const Case cases[] = {
      {"infected", {"icap://10.10.2.2:1344/avscan", "infected", "Eicar \"x\"", 25, "", ""},
       R"({"service":"icap://10.10.2.2:1344/avscan","result":"infected","threat":"Eicar \"x\"","ms":25})"},
      {"clean", {"icap://127.0.0.1:1344/avscan", "clean", "", 3, "", ""},
       R"({"service":"icap://127.0.0.1:1344/avscan","result":"clean","threat":null,"ms":3})"},
      {"error under on_error allow", {"icap://127.0.0.1:1344/avscan", "error", "", 0, "body past max_bytes (10)", "allow"},
       R"j({"service":"icap://127.0.0.1:1344/avscan","result":"error","threat":null,"ms":0,"detail":"body past max_bytes (10)","on_error":"allow"})j"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpEventAction action;
    action.scan = &c.scan;
    std::string out;
    write_http_event(out, flow, e, action);
    const auto parsed = nlohmann::ordered_json::parse(out);
    EXPECT_EQ(parsed.back(), nlohmann::ordered_json::parse(c.json));
    EXPECT_EQ(std::prev(parsed.end()).key(), "scan");
    // Without it, the line is the one it was.
    write_http_event(out, flow, e);
    EXPECT_EQ(out, reference(flow, e, HttpEventAction{}));
  }
}

TEST(HttpEvent, RequestScanAfterScan) {
  const http::HttpExchange e = exchange();
  const HttpEventFlow flow{"2026-12-05T17:00:00.123Z", 7, "1:abc+/=", "10.10.1.2", 54321, "10.10.2.2", 443, nullptr};
  const HttpEventScan response{"icap://127.0.0.1:1344/avscan", "skipped", "", 0, "no body", ""};
  const HttpEventScan upload{"icap://127.0.0.1:1344/avscan", "infected", "Eicar", 9, "", ""};
  HttpEventAction action;
  action.request_scan = &upload;
  std::string out;
  write_http_event(out, flow, e, action);
  auto parsed = nlohmann::ordered_json::parse(out);
  EXPECT_EQ(std::prev(parsed.end()).key(), "request_scan");
  EXPECT_EQ(parsed["request_scan"]["threat"], "Eicar");
  EXPECT_FALSE(parsed.contains("scan"));
  action.scan = &response;
  write_http_event(out, flow, e, action);
  parsed = nlohmann::ordered_json::parse(out);
  EXPECT_EQ(std::prev(parsed.end()).key(), "request_scan");
  EXPECT_EQ(std::prev(parsed.end(), 2).key(), "scan");
  EXPECT_EQ(parsed["scan"]["detail"], "no body");
}

}  // namespace
}  // namespace tlsgate::log

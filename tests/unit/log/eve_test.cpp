#include "gateway/log/eve.hpp"

#include <gtest/gtest.h>

#include "gateway/log/events/http_event.hpp"

namespace tlsgate::log {
namespace {

using nlohmann::ordered_json;

// Native lines as the daemon writes them (docs/flow-log.md examples).
const char* native_tls_flow =
    R"({"event":"flow","ts":"2026-11-23T19:20:09.061447Z","start":"2026-11-23T19:20:09.047110Z","flow_id":4,"community_id":"1:WVX/bmL6nK7NsORlRdgdjf5Qcfs=","client":{"ip":"10.10.1.2","port":40730},"server":{"ip":"10.10.2.2","port":443},"proto":"tls","action":"intercept","reason":"policy","bytes":{"from_client":120,"to_client":1208},"duration_ms":14.337,"end":{"by":"client","error":null},"sni":"www.example.test","host":"www.example.test","tls":{"client":{"version":"TLSv1.3","alpn":["h2","http/1.1"],"ja3":"0149f47eabf9a20d0893e2a44e5a6323","ja4":"t13d3112h2_e8f1e7e78f70_b26ce05bbdd6","ech":false,"negotiated":{"version":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","alpn":"h2","resumed":false}},"upstream":{"version":"TLSv1.3","alpn":"h2","cipher":"TLS_AES_256_GCM_SHA384","resumed":false,"verify":"ok","cert":{"subject":"CN=www.example.test,O=tlsgate lab","issuer":"CN=tlsgate lab Public Root CA,O=tlsgate lab","sans":["www.example.test"],"not_before":"2026-11-22T19:20:01Z","not_after":"2027-11-23T19:20:01Z","sha256":"5b0c"}},"forged":{"cache":"miss"}},"policy":{"rule":"default","action":"intercept"},"http":{"exchanges":1}})";
const char* native_http =
    R"({"event":"http","ts":"2026-11-23T19:20:09.060991Z","flow_id":4,"community_id":"1:WVX/bmL6nK7NsORlRdgdjf5Qcfs=","client":{"ip":"10.10.1.2","port":40730},"server":{"ip":"10.10.2.2","port":443},"sni":"www.example.test","http_version":"2","method":"GET","scheme":"https","authority":"www.example.test","path":"/small","status":200,"request":{"headers":{"user-agent":"curl/7.88.1","accept":"*/*"},"body_bytes":0,"content_type":null},"response":{"headers":{"server":"nginx/1.22.1","content-type":"application/octet-stream","content-length":"1024"},"body_bytes":1024,"content_type":"application/octet-stream"},"timings":{"ms_to_first_byte":1.9,"ms_to_end":2.1}})";
const char* native_plain_flow =
    R"({"event":"flow","ts":"2026-11-22T23:41:07.512093Z","start":"2026-11-22T23:41:07.498311Z","flow_id":3,"community_id":"1:4ZzO0QmU0zz8yGhvT3mNqKUDCuE=","client":{"ip":"10.77.1.10","port":51234},"server":{"ip":"10.77.2.10","port":80},"proto":"http","action":"tunnel","reason":"policy","bytes":{"from_client":86,"to_client":1270},"duration_ms":13.782,"end":{"by":"timeout","error":null},"policy":{"rule":"plain","action":"tunnel"}})";
const char* native_quic =
    R"({"event":"quic","ts":"2026-11-22T23:41:07.512093Z","client":{"ip":"10.10.1.2","port":5000},"server":{"ip":"10.10.2.2","port":443},"version":"1","sni":"www.example.test","alpn":["h3"],"verdict":"drop","policy":{"rule":"default","action":"intercept"},"packets_held":1,"reason":"policy"})";

TEST(Eve, TimestampKeepsMicrosecondsWithNumericZone) {
  EXPECT_EQ(eve_timestamp("2026-12-05T16:07:05.123456Z"), "2026-12-05T16:07:05.123456+0000");
}

TEST(Eve, TlsFlow) {
  const auto eve = to_eve(ordered_json::parse(native_tls_flow));
  EXPECT_EQ(eve["timestamp"], "2026-11-23T19:20:09.061447+0000");
  EXPECT_EQ(eve["event_type"], "flow");
  EXPECT_EQ(eve["flow_id"], 4);
  EXPECT_EQ(eve["src_ip"], "10.10.1.2");
  EXPECT_EQ(eve["src_port"], 40730);
  EXPECT_EQ(eve["dest_ip"], "10.10.2.2");
  EXPECT_EQ(eve["dest_port"], 443);
  EXPECT_EQ(eve["proto"], "TCP");
  EXPECT_EQ(eve["app_proto"], "tls");
  EXPECT_EQ(eve["community_id"], "1:WVX/bmL6nK7NsORlRdgdjf5Qcfs=");
  EXPECT_EQ(eve["flow"]["bytes_toserver"], 120);
  EXPECT_EQ(eve["flow"]["bytes_toclient"], 1208);
  EXPECT_EQ(eve["flow"]["start"], "2026-11-23T19:20:09.047110+0000");
  EXPECT_EQ(eve["flow"]["end"], "2026-11-23T19:20:09.061447+0000");
  EXPECT_EQ(eve["tls"]["sni"], "www.example.test");
  EXPECT_EQ(eve["tls"]["version"], "TLS 1.3");
  EXPECT_EQ(eve["tls"]["subject"], "CN=www.example.test,O=tlsgate lab");
  EXPECT_EQ(eve["tls"]["issuerdn"], "CN=tlsgate lab Public Root CA,O=tlsgate lab");
  EXPECT_EQ(eve["tls"]["notbefore"], "2026-11-22T19:20:01");
  EXPECT_EQ(eve["tls"]["ja3"]["hash"], "0149f47eabf9a20d0893e2a44e5a6323");
  EXPECT_EQ(eve["tls"]["ja4"], "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6");
  EXPECT_EQ(eve["tls"]["server_alpns"], ordered_json::array({"h2"}));
  EXPECT_EQ(eve["tlsgate"]["action"], "intercept");
  EXPECT_EQ(eve["tlsgate"]["policy"]["rule"], "default");
  EXPECT_EQ(eve["tlsgate"]["tls"]["forged"]["cache"], "miss");
  EXPECT_EQ(eve["tlsgate"]["tls"]["upstream"]["verify"], "ok");
}

TEST(Eve, HttpExchange) {
  const auto eve = to_eve(ordered_json::parse(native_http));
  EXPECT_EQ(eve["event_type"], "http");
  EXPECT_EQ(eve["app_proto"], "http2");
  EXPECT_EQ(eve["http"]["hostname"], "www.example.test");
  EXPECT_EQ(eve["http"]["url"], "/small");
  EXPECT_EQ(eve["http"]["http_method"], "GET");
  EXPECT_EQ(eve["http"]["protocol"], "HTTP/2");
  EXPECT_EQ(eve["http"]["status"], 200);
  EXPECT_EQ(eve["http"]["length"], 1024);
  EXPECT_EQ(eve["http"]["http_user_agent"], "curl/7.88.1");
  EXPECT_EQ(eve["http"]["http_content_type"], "application/octet-stream");
  EXPECT_EQ(eve["http"]["request_headers"][0]["name"], "user-agent");
  EXPECT_EQ(eve["tlsgate"]["sni"], "www.example.test");
  EXPECT_FALSE(eve["http"].contains("http_refer"));  // absent facts are left out, not null
}

// The daemon's path: an observed exchange written by write_http_event (no tree), parsed back and
// mapped; headers keep their order, joined repeats and redaction in EVE's name/value list.
TEST(Eve, HttpFromTheTreeLessWriter) {
  http::HttpExchange e;
  e.http_version = "1.1";
  e.method = "GET";
  e.scheme = "http";
  e.authority = "www.example.test";
  e.path = "/";
  e.status = 200;
  e.request_headers.add("host", "www.example.test");
  e.request_headers.add("user-agent", "curl/7.88.1");
  e.request_headers.add("accept", "a");
  e.request_headers.add("cookie", "[redacted]", false);
  e.request_headers.add("accept", "b");
  e.request_headers.add("referer", "http://www.example.test/");
  e.response_headers.add("content-type", "text/html");
  e.response_content_type = "text/html";
  const HttpEventFlow flow{"2026-12-05T17:00:00.123456Z", 7, "1:abc", "10.10.1.2", 40000, "10.10.2.2", 80, nullptr};
  std::string line;
  write_http_event(line, flow, e);
  const auto eve = to_eve(ordered_json::parse(line));
  EXPECT_EQ(eve["app_proto"], "http");
  EXPECT_EQ(eve["http"]["http_user_agent"], "curl/7.88.1");
  EXPECT_EQ(eve["http"]["http_refer"], "http://www.example.test/");
  EXPECT_EQ(eve["http"]["http_content_type"], "text/html");
  EXPECT_EQ(eve["http"]["request_headers"], ordered_json::parse(R"([{"name":"host","value":"www.example.test"},
      {"name":"user-agent","value":"curl/7.88.1"},{"name":"accept","value":"a, b"},
      {"name":"cookie","value":"[redacted]"},{"name":"referer","value":"http://www.example.test/"}])"));
  EXPECT_EQ(eve["http"]["response_headers"], ordered_json::parse(R"([{"name":"content-type","value":"text/html"}])"));
}

TEST(Eve, PlainFlowAndItsEnd) {
  const auto eve = to_eve(ordered_json::parse(native_plain_flow));
  EXPECT_EQ(eve["app_proto"], "http");
  EXPECT_EQ(eve["flow"]["reason"], "timeout");
  EXPECT_EQ(eve["flow"]["age"], 0);
  EXPECT_FALSE(eve.contains("tls"));
  EXPECT_EQ(eve["tlsgate"]["action"], "tunnel");
}

TEST(Eve, QuicGetsCommunityIdForUdp) {
  const auto eve = to_eve(ordered_json::parse(native_quic));
  EXPECT_EQ(eve["event_type"], "quic");
  EXPECT_EQ(eve["proto"], "UDP");
  EXPECT_EQ(eve["quic"]["sni"], "www.example.test");
  EXPECT_TRUE(eve["community_id"].get<std::string>().starts_with("1:"));
  EXPECT_EQ(eve["tlsgate"]["verdict"], "drop");
}

TEST(Eve, OtherEventsKeepTheirFieldsUnderTlsgate) {
  const auto eve = to_eve(ordered_json::parse(R"({"event":"policy","ts":"2026-11-22T23:41:07.512093Z","file":"p.json","ok":true,"rules":3})"));
  EXPECT_EQ(eve["event_type"], "tlsgate");
  EXPECT_EQ(eve["timestamp"], "2026-11-22T23:41:07.512093+0000");
  EXPECT_EQ(eve["tlsgate"]["event"], "policy");
  EXPECT_EQ(eve["tlsgate"]["rules"], 3);
}

TEST(Eve, GarbageDoesNotThrow) {
  EXPECT_NO_THROW(to_eve(ordered_json::array({1, 2})));
  EXPECT_NO_THROW(to_eve(ordered_json::parse(R"({"event":"flow","client":7,"tls":"x","duration_ms":"y"})")));
  EXPECT_NO_THROW(to_eve(ordered_json::parse(R"({"event":"quic","client":{"ip":"nope","port":-1}})")));
}

TEST(Eve, InfectedContentIsAnAlert) {
  auto native = ordered_json::parse(native_http);
  native["scan"] = {{"service", "icap://127.0.0.1:1344/avscan"}, {"result", "infected"}, {"threat", "Eicar"}, {"ms", 3}};
  auto eve = to_eve(native);
  EXPECT_EQ(eve["alert"]["action"], "blocked");
  EXPECT_EQ(eve["alert"]["signature"], "tlsgate content scan: Eicar");
  EXPECT_EQ(eve["alert"]["category"], "Malware");
  EXPECT_EQ(eve["tlsgate"]["scan"]["result"], "infected");
  native["scan"]["result"] = "clean";
  native["scan"]["threat"] = nullptr;
  eve = to_eve(native);
  EXPECT_FALSE(eve.contains("alert"));
  EXPECT_EQ(eve["tlsgate"]["scan"]["result"], "clean");
}

// A flow whose infected content was withheld is "alerted", as Suricata marks a flow with an alert.
TEST(Eve, AFlowThatWithheldInfectedContentIsAlerted) {
  auto native = ordered_json::parse(native_tls_flow);
  EXPECT_EQ(to_eve(native)["flow"]["alerted"], false);
  native["reason"] = "content_blocked";
  EXPECT_EQ(to_eve(native)["flow"]["alerted"], true);
}

TEST(Eve, RequestPolicyFactsStayUnderTlsgate) {
  auto native = ordered_json::parse(native_http);
  native["action"] = "allow";
  native["rule"] = "safe search";
  native["would_block"] = "watch social";
  native["header_rules"] = {"set YouTube-Restrict", "remove X-Forwarded-For"};
  const auto eve = to_eve(native);
  EXPECT_EQ(eve["tlsgate"]["action"], "allow");
  EXPECT_EQ(eve["tlsgate"]["rule"], "safe search");
  EXPECT_EQ(eve["tlsgate"]["would_block"], "watch social");
  EXPECT_EQ(eve["tlsgate"]["header_rules"], native["header_rules"]);
}

TEST(Eve, InfectedUploadIsAnAlert) {
  auto native = ordered_json::parse(native_http);
  native["action"] = "block";
  native["reason"] = "content_blocked";
  native["request_scan"] = {
      {"service", "icap://127.0.0.1:1344/avscan"}, {"result", "infected"}, {"threat", "Signed"}, {"ms", 4}};
  auto eve = to_eve(native);
  EXPECT_EQ(eve["alert"]["action"], "blocked");
  EXPECT_EQ(eve["alert"]["signature"], "tlsgate content scan: Signed");
  EXPECT_EQ(eve["tlsgate"]["request_scan"]["threat"], "Signed");
  EXPECT_EQ(eve["tlsgate"]["reason"], "content_blocked");
  native["request_scan"]["result"] = "clean";
  native["request_scan"]["threat"] = nullptr;
  EXPECT_FALSE(to_eve(native).contains("alert"));
}

}  // namespace
}  // namespace tlsgate::log

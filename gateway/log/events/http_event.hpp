#pragma once
// The `"event":"http"` line of one finished exchange, written straight into a
// string (no JSON tree for the event): the same bytes as building it with
// nlohmann (event, ts, flow_id, community_id, client, server, sni, action
// [, reason, rule, would_block, header_rules], then http::append_json's fields[, scan][, request_scan])
// and dumping it.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gateway/http/observer.hpp"

namespace tlsgate::log {

struct HttpEventFlow {
  std::string_view ts;  // RFC 3339 UTC
  std::uint64_t flow_id = 0;
  std::string_view community_id;
  std::string_view client_ip;
  std::uint16_t client_port = 0;
  std::string_view server_ip;
  std::uint16_t server_port = 0;
  const std::string* sni = nullptr;  // the ClientHello's server name; nullptr: null
};

// A content scan of one of the exchange's bodies (the `scan` and `request_scan` fields).
struct HttpEventScan {
  std::string service;  // icap://...
  std::string result;   // clean, infected, error, skipped
  std::string threat;   // infected: the name the scanner gave
  std::uint64_t ms = 0;
  std::string detail;    // error, skipped: why, one line
  std::string on_error;  // error: what the rule's on_error did, "allow" (delivered unscanned) or "block"
};

// What the gateway did with the request: "allow" (forwarded), or "block" /
// "onboard" (answered by the gateway, with why and the rule that decided).
struct HttpEventAction {
  std::string_view action = "allow";
  std::string_view reason;           // with block / onboard: policy, host_mismatch, no_host, inspect_error, ca_failing
  const std::string* rule = nullptr;  // the deciding rule's name, when one did
  // A `"mode": "log"` rule that would have blocked the request (policy::Decision::would_block).
  const std::string* would_block = nullptr;
  const HttpEventScan* scan = nullptr;  // the response's content scan, when the rule scans
  const HttpEventScan* request_scan = nullptr;  // the request body's (REQMOD), when the rule scans uploads
  // With allow: the header rules applied to the forwarded request ("set YouTube-Restrict");
  // written as `header_rules` when there are any.
  std::span<const std::string> header_rules{};
};

// Clears `out` and writes the line (no trailing newline) into it; keeps its capacity.
void write_http_event(std::string& out, const HttpEventFlow& flow, const http::HttpExchange& exchange,
                      const HttpEventAction& action = {});

}  // namespace tlsgate::log

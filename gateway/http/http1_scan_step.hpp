#pragma once
// What the scan framers (responses: http1_scan_framer.hpp, requests:
// http1_request_scan_framer.hpp) are given and what they make: the steps a scanner carries out.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "gateway/http/exchange.hpp"

namespace tlsgate::http::h1 {

struct ScanFramerSettings {
  std::size_t max_body_bytes = 10u << 20;  // a held body as sent (chunk framing included)
  // Past the bound, or when the bytes cannot be framed: the rest passes unscanned (true), or
  // nothing more does (false: the framer stops and the caller ends the connection).
  bool pass_on_overflow = false;
  HttpLimits limits;  // max_header_bytes, max_header_fields of the heads read
  // Whether a message with this Content-Type value ("" when it has none) is scanned.
  std::function<bool(std::string_view content_type)> scans_content_type;
};

// A message: a final response (ScanFramer), or a request (RequestScanFramer).
enum class ScanStepKind {
  forward,   // `bytes`: pass them on now
  skipped,   // a message that is not scanned (`reason`); its bytes come in forward steps
  scan,      // a complete held message: `bytes` as sent, `head`, `body` (the payload), `request_head`
  overflow,  // no verdict is possible (`reason`): `bytes` is what was held; see pass_on_overflow
};

// One step; every message gives exactly one skipped, scan or overflow step.
struct ScanStep {
  ScanStepKind kind = ScanStepKind::forward;
  std::string bytes;
  std::string head;  // scan: the message's head, final CRLF included
  std::string body;  // scan: the payload
  // scan, and overflow of a held message: the request's start line and Host, as an HTTP head
  // ("" when unknown)
  std::string request_head;
  std::string reason;    // skipped, overflow: why, one line
  bool no_body = false;  // skipped: the message has no body (reason "no body")
};

}  // namespace tlsgate::http::h1

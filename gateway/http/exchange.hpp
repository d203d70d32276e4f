#pragma once
// What an HTTP observer produces: one HttpExchange per finished request/response
// pair, the limits it observes under, and the exchange's JSON fields.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gateway/http/header_fields.hpp"

namespace tlsgate::http {

struct HttpLimits {
  std::size_t max_header_bytes = 64 * 1024;  // one header block (HTTP/1 head, HPACK-decoded h2 block)
  std::size_t body_capture_bytes = 0;        // first N bytes of each body, base64; 0 = off
  bool redact = true;                        // Authorization, Proxy-Authorization, Cookie, Set-Cookie
  std::size_t max_header_fields = 256;       // per message, trailers included
  std::size_t max_exchange_header_bytes = 256 * 1024;  // names + values, request and response together
};

// One finished request/response pair.
struct HttpExchange {
  std::string http_version;                     // "1.1", "1.0", "2"
  std::string method, scheme, authority, path;  // scheme from the caller; authority: Host or :authority
  std::optional<int> status;
  // name -> value (lowercase names; repeated headers and trailers joined with ", "), redacted
  HeaderFields request_headers, response_headers;
  std::uint64_t request_body_bytes = 0, response_body_bytes = 0;
  std::optional<std::string> request_content_type, response_content_type;
  std::optional<std::string> request_body_b64, response_body_b64;  // only with body capture
  std::optional<double> ms_to_first_byte, ms_to_end;               // from the request's first byte
  std::optional<std::string> error;  // "stream reset (CANCEL)", "connection closed before response end"
  // Bookkeeping for the header caps (not logged): names + values, request and response together.
  std::size_t header_bytes = 0;
  std::uint32_t stream_id = 0;  // h2 (not logged): joins the exchange to its request's decision
};

// The http event's exchange fields, in this order: http_version, method, scheme, authority, path,
// status, request{headers, body_bytes, content_type[, body_b64]}, response{...},
// timings{ms_to_first_byte, ms_to_end}[, error]. Absent optionals are null; body_b64 and error
// appear only when set.
nlohmann::ordered_json to_json(const HttpExchange& exchange);
// The same fields appended to `line` (an event under construction), moving them out of `exchange`.
void append_json(nlohmann::ordered_json& line, HttpExchange&& exchange);

using Clock = std::chrono::steady_clock;

}  // namespace tlsgate::http

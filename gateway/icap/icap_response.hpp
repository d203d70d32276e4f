#pragma once
// The pure parser of ICAP responses (RFC 3507 4.3): a status line, headers,
// then, as the `Encapsulated` header lays out, HTTP heads and a chunked body.
// Bytes in; a complete response (with the bytes it used), "need more" or an
// error out; no I/O. Every size is bounded by IcapLimits.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/parse_result.hpp"

namespace tlsgate::icap {

enum class IcapError {
  bad_status_line,   // not "ICAP/1.0 NNN reason"
  bad_header,        // a header line without a name and colon, or a bad continuation
  head_too_large,    // no empty line within max_head_bytes
  too_many_headers,  // more than max_headers
  bad_encapsulated,  // Encapsulated missing where needed, unknown names, offsets out of order
  bad_chunk,         // a chunk size that is not hex, or a chunk not followed by CRLF
  body_too_large,    // the encapsulated heads or body past their bounds
};
std::string_view to_string(IcapError error);

struct IcapLimits {
  std::size_t max_head_bytes = 16 * 1024;  // the ICAP head (status line and headers)
  std::size_t max_headers = 100;
  std::size_t max_http_head_bytes = 64 * 1024;  // the encapsulated HTTP heads together
  std::size_t max_body_bytes = 1024 * 1024;     // the de-chunked encapsulated body
};

struct IcapHeader {
  std::string name;
  // The value without surrounding whitespace. Continuation lines (RFC 2616
  // 2.2 folding, which c-icap uses for X-Violations-Found) are kept as lines:
  // joined by '\n', each trimmed.
  std::string value;
};

// One entry of `Encapsulated: req-hdr=0, res-hdr=45, res-body=120`.
struct EncapsulatedPart {
  std::string name;  // req-hdr, res-hdr, req-body, res-body, null-body, opt-body
  std::size_t offset = 0;
};

struct IcapResponse {
  unsigned status = 0;  // 100, 200, 204, 4xx, 5xx
  std::string reason;
  std::vector<IcapHeader> headers;
  std::vector<EncapsulatedPart> encapsulated;
  std::string request_head;   // an encapsulated req-hdr (REQMOD's modified request), with its empty line
  std::string response_head;  // an encapsulated res-hdr (a replacement response), with its empty line
  bool has_body = false;      // a res-body, req-body or opt-body followed
  std::string body;           // that body, de-chunked

  // The first header of that name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

// Parses one response from the start of `bytes`. A 100 Continue and a 204 end
// at their empty line; any other response carries what its `Encapsulated`
// header names (none: the head alone). Trailers after the last chunk are
// skipped. `consumed` counts the bytes of this response only, so a caller
// can tell whether anything followed it.
ParseResult<IcapResponse, IcapError> parse_icap_response(std::string_view bytes, IcapLimits limits = {});

// Parses an `Encapsulated` value; nullopt if malformed (names outside RFC
// 3507 4.4.1, offsets that do not rise, a body entry that is not last).
std::optional<std::vector<EncapsulatedPart>> parse_encapsulated(std::string_view value);

}  // namespace tlsgate::icap

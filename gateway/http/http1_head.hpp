#pragma once
// HTTP/1 message heads (RFC 9112 §2-§6), parsed strictly: this is the request-smuggling
// surface, so anything an upstream could frame differently is an error (bare CR or LF, obs-fold,
// whitespace before a colon, two Host fields, differing Content-Length values, Content-Length
// with Transfer-Encoding, a Transfer-Encoding not ending in chunked, Transfer-Encoding in
// HTTP/1.0). Pure: bytes in, a head or an error out.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/http1_body.hpp"
#include "gateway/parse_result.hpp"

namespace tlsgate::http::h1 {

enum class HeadError {
  too_large,                // past max_header_bytes
  too_many_fields,          // past max_header_fields
  bad_line_end,             // CR or LF not in a CRLF pair
  bad_start_line,           // not `method SP target SP HTTP/1.x` / `HTTP/1.x SP status ...`
  bad_version,              // a request version other than HTTP/1.0 or HTTP/1.1
  bad_field,                // bad name or value characters, no colon
  space_before_colon,       // `Name : value` (RFC 9112 §5.1: must be rejected)
  obs_fold,                 // a field line that starts with SP or HTAB
  duplicate_host,           // two Host fields (RFC 9112 §3.2)
  bad_host,                 // a Host value, or an absolute-form authority, that is no authority
  bad_content_length,       // not 1*DIGIT, or too large
  conflicting_content_length,
  content_length_with_transfer_encoding,
  bad_transfer_encoding,    // last coding not chunked, chunked twice, or in HTTP/1.0
};

// Where a head ends. Feed the same growing buffer (first byte: the head's first byte, leading
// empty lines included) until it reports the size; errors come as soon as a byte proves one
// (a bare LF, a head past `max_bytes` or with more than `max_fields` field lines).
class HeadScanner {
 public:
  ParseResult<std::size_t, HeadError> scan(std::string_view bytes, std::size_t max_bytes,
                                           std::size_t max_fields);
  std::size_t start() const { return start_; }  // the start line's offset (after empty lines)

 private:
  std::size_t scanned_ = 0;     // bytes searched so far
  std::size_t line_start_ = 0;  // offset of the line being read
  std::size_t start_ = 0;
  std::size_t lines_ = 0;       // non-empty lines seen (start line included)
};

struct RequestLine {
  std::string_view method, target;
  int minor_version = 1;  // HTTP/1.<minor>
};

struct StatusLine {
  int status = 0;
  int minor_version = 1;
};

// What the gate needs of a head. Views point into the bytes given to the parser.
struct Head {
  RequestLine request;  // requests
  StatusLine response;  // responses
  std::optional<std::string_view> host;     // the Host field value (OWS trimmed)
  std::optional<std::string> upgrade;       // Upgrade field values, joined with ", "
  // Content-Length / Transfer-Encoding framing (RFC 9112 §6.3 items 3-6); the caller adds
  // what depends on the request (HEAD, CONNECT) and the status code (1xx, 204, 304).
  BodyFraming body;
  // Authority of an absolute-form or authority-form request target (RFC 9112 §3.2.2, §3.2.3).
  std::optional<std::string_view> target_authority;
};

// Parses a complete head (`bytes` as sized by HeadScanner, final empty line included; `start`
// is HeadScanner::start()). Caps were checked by the scanner.
ParseResult<Head, HeadError> parse_request_head(std::string_view bytes, std::size_t start);
ParseResult<Head, HeadError> parse_response_head(std::string_view bytes, std::size_t start);

// A short text for an error (the detail of a parse failure).
const char* describe(HeadError error);

// The value of the first field `name` (lowercase) in a complete head that parsed (OWS trimmed);
// empty when there is none.
std::string_view field_value(std::string_view head, std::string_view name);

// Case-insensitive comparison of an ASCII token with a lowercase one.
bool token_equals(std::string_view value, std::string_view lowercase);

}  // namespace tlsgate::http::h1

#pragma once
// ICAP request builders (RFC 3507 4.3.2, 4.8, 4.9): OPTIONS, REQMOD and
// RESPMOD heads with exact `Encapsulated` offsets, and the chunks that carry
// the body after them (a preview ends with `0; ieof` when it holds the whole
// body, RFC 3507 4.5). Pure: strings out, no I/O.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/icap/service_uri.hpp"

namespace tlsgate::icap {

enum class ScanKind { respmod, reqmod };
std::string_view to_string(ScanKind kind);  // "RESPMOD", "REQMOD"

std::string build_options(const ServiceUri& service);

// What a REQMOD or RESPMOD encapsulates. Each head is an HTTP message head
// ending in its empty line ("\r\n\r\n"), exactly as it went over the wire;
// an empty request_head is left out (RESPMOD may omit it, RFC 3507 4.9.1).
// REQMOD encapsulates request_head only.
struct Encapsulation {
  std::string_view request_head;
  std::string_view response_head;
  bool has_body = false;  // a body follows in chunks (else: null-body)
};

struct RequestOptions {
  std::optional<std::size_t> preview;  // Preview: N (only with a body)
  bool allow_204 = true;               // Allow: 204 (the client keeps the body to send it itself)
};

// The ICAP head and the encapsulated HTTP heads; the body's chunks follow.
// With a preview, the first chunks carry at most N bytes and end with
// preview_end(); the rest is sent after a 100 Continue.
std::string build_modification(ScanKind kind, const ServiceUri& service, const Encapsulation& message,
                               const RequestOptions& options);

// One chunk of body data (nothing for empty data: a zero-size chunk would end the body).
std::string chunk(std::string_view data);
// The end of a preview: "0; ieof" when the preview held the whole body, else "0".
std::string preview_end(bool whole_body);
// The end of a body sent in full or of the rest after a 100 Continue.
std::string body_end();

// True when `head` ends with the empty line that ends an HTTP head ("\r\n\r\n").
bool is_complete_http_head(std::string_view head);

}  // namespace tlsgate::icap

#pragma once
// The edits of header rules (RequestAnswer::header_edits), checked and named. A rule may change
// a request's ordinary fields only: framing and hop-by-hop fields decide where a request ends
// and where it goes (Content-Length, Transfer-Encoding, Host, Connection, ...), so an edit of
// one could smuggle a second request past the gate, or send the request to another host than
// the one the policy judged. The policy refuses such a rule when it loads; the gates never
// apply one (both ask header_edit_error()).
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/request_gate.hpp"

namespace tlsgate::http {

// Why `edit` may not be applied, nullopt when it may: its name is not a token (RFC 9110
// §5.6.2), names a pseudo-header, a framing or a hop-by-hop field; or a set value holds a
// control character (CR, LF, NUL, ...; RFC 9110 §5.5) or starts or ends with whitespace
// (RFC 9113 §8.2.1).
std::optional<std::string> header_edit_error(const HeaderEdit& edit);

// How the http event lists an applied edit: "set YouTube-Restrict", "remove X-Forwarded-For".
std::string describe(const HeaderEdit& edit);

// Field names are case-insensitive (RFC 9110 §5.1).
bool same_field_name(std::string_view a, std::string_view b);

}  // namespace tlsgate::http

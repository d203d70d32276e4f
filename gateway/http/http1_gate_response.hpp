#pragma once
// The HTTP/1 responses the request gate writes itself, in place of a request it does not
// forward. Every one closes the connection (Connection: close), so nothing the client
// pipelined behind the request needs an answer.
#include <string>
#include <string_view>

#include "gateway/http/request_gate.hpp"

namespace tlsgate::http {

// 403 Forbidden (block), 421 Misdirected Request (misdirected), 302 Found with Location
// (redirect), with `answer.page` as its text/html body; `version` is the request's ("1.0", "1.1").
// answer.action must not be forward.
std::string http1_gate_response(const RequestAnswer& answer, std::string_view version);

// The 403 for a request the gate could not parse, so could not put to the policy.
std::string http1_inspect_error_response();

}  // namespace tlsgate::http

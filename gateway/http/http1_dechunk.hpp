#pragma once
// The payload of a complete chunked HTTP/1 body (RFC 9112 §7.1): chunk data joined, chunk-size
// lines, extensions and the trailer section dropped. For bodies BodyFramer already framed, so
// the input is known to be well formed; a body that is not anyway gives nullopt. Pure.
#include <optional>
#include <string>
#include <string_view>

namespace tlsgate::http::h1 {

// `chunked`: from the first chunk-size line through the trailer section's final CRLF.
std::optional<std::string> dechunk(std::string_view chunked);

}  // namespace tlsgate::http::h1

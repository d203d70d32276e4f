#pragma once
// How every event becomes a log line: one place, so the daemon, the tests and the
// fuzzers serialize events the same way.
#include <nlohmann/json.hpp>
#include <string>

namespace tlsgate::log {

// One JSON line without the newline. Strings that are not valid UTF-8 (they come
// from the network: SNI, ALPN, HTTP headers) have the bad bytes replaced by U+FFFD
// instead of throwing. Throws only std::bad_alloc.
std::string serialize_event(const nlohmann::ordered_json& event);

}  // namespace tlsgate::log

#pragma once
// The `"event":"quic"` line of one decided QUIC connection (docs/flow-log.md).
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "netfilter/quic_guard.hpp"

namespace tlsgate::netfilter {

// "1" and "2" for the versions the guard decodes, else the wire value in hex ("0xff00001d").
std::string version_name(std::uint32_t version);

// `ts` is when the connection was decided.
nlohmann::ordered_json quic_json(const QuicRecord& record, std::chrono::system_clock::time_point ts);

}  // namespace tlsgate::netfilter

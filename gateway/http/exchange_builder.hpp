#pragma once
// Shared pieces of both observers: header recording (lowercase, joined, redacted), body
// counting with optional capture, timings.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/exchange.hpp"

namespace tlsgate::http {

// Adds one header (or trailer) field: the name lowercased, a repeated name joined with ", ",
// sensitive values replaced by "[redacted]" when `redact`. Content-Type is also kept apart.
// O(1) amortised per field (HeaderFields). Returns an error text (the observer fails with it:
// inspection stops, traffic goes on) when the message passes limits.max_header_fields or the
// exchange's header bytes (`exchange_bytes`) pass limits.max_exchange_header_bytes; nothing is
// added then.
std::optional<std::string> add_header(HeaderFields& headers, std::size_t& exchange_bytes,
                                      std::optional<std::string>& content_type, std::string_view name, std::string_view value, const HttpLimits& limits);

// Counts a body and keeps its first `limit` bytes (nothing when limit is 0).
struct BodyRecorder {
  std::uint64_t bytes = 0;
  std::string captured;

  void add(std::string_view data, std::size_t limit) {
    bytes += data.size();
    if (captured.size() < limit) captured.append(data.substr(0, limit - captured.size()));
  }
  // base64 of the captured bytes when capture is on, else nullopt.
  std::optional<std::string> capture(std::size_t limit) const;
};

std::string base64_encode(std::string_view bytes);

// Wire text made safe for JSON output: bytes that are not UTF-8 become '?' (the log's dump()
// would throw on them).
std::string json_safe(std::string_view text);

inline double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace tlsgate::http

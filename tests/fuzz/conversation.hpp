#pragma once
// The input format both HTTP observer fuzzers share: one options byte, then
// records [direction byte (bit 0: server)][u16 BE length][bytes].
// Options: bit 0 redact, bit 1 body capture, bits 2-3 header limit, bit 4 call
// on_close, bit 5 go through the cleartext detector (bit 6: target-specific).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "gateway/http/observer.hpp"
#include "tests/fuzz/event_check.hpp"

namespace tlsgate::http::fuzz {

inline HttpLimits limits_from(std::uint8_t options) {
  HttpLimits limits;
  limits.redact = (options & 1) != 0;
  limits.body_capture_bytes = (options & 2) != 0 ? 16 : 0;
  constexpr std::size_t header_limits[] = {64 * 1024, 1024, 100, 8 * 1024};
  limits.max_header_bytes = header_limits[(options >> 2) & 3];
  return limits;
}

inline bool use_cleartext_detector(std::uint8_t options) { return (options & 32) != 0; }

// Feeds the records after the options byte, then (option) closes, and renders
// every exchange: JSON rendering must never throw on wire text.
inline void replay_conversation(Observer& observer, std::span<const std::uint8_t> in, std::uint8_t options) {
  Clock::time_point now{};
  while (in.size() >= 3) {
    const bool server = (in[0] & 1) != 0;
    const std::size_t len = std::min<std::size_t>((std::size_t{in[1]} << 8) | in[2], in.size() - 3);
    const auto bytes = in.subspan(3, len);
    in = in.subspan(3 + len);
    now += std::chrono::milliseconds(1);
    if (server) {
      observer.on_server_bytes(bytes, now);
    } else {
      observer.on_client_bytes(bytes, now);
    }
  }
  if ((options & 16) != 0) observer.on_close(now);
  for (const auto& e : observer.take_exchanges()) tlsgate::fuzz::check_event_line(to_json(e));
}

}  // namespace tlsgate::http::fuzz

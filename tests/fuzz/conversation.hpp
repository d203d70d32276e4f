#pragma once
// The input format both HTTP observer fuzzers share: one options byte, then
// records [direction byte (bit 0: server)][u16 BE length][bytes].
// Options: bit 0 redact, bit 1 body capture, bits 2-3 header limit, bit 4 call
// on_close, bit 5 go through the cleartext detector (bit 6: target-specific).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gateway/http/observer.hpp"
#include "gateway/log/events/http_event.hpp"
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

// The daemon writes http events without a tree (log::write_http_event): its line must be the
// tree's (http::append_json, serialize_event) byte for byte.
inline void check_tree_less_line(const HttpExchange& exchange) {
  static const std::string sni = "fuzz.example";
  const log::HttpEventFlow flow{"2026-12-05T00:00:00.000000Z", 1, "1:x", "10.0.0.1", 1, "fd00::2", 2, &sni};
  std::string line;
  log::write_http_event(line, flow, exchange);
  nlohmann::ordered_json tree = {{"event", "http"},
                                 {"ts", std::string(flow.ts)},
                                 {"flow_id", flow.flow_id},
                                 {"community_id", std::string(flow.community_id)},
                                 {"client", {{"ip", std::string(flow.client_ip)}, {"port", flow.client_port}}},
                                 {"server", {{"ip", std::string(flow.server_ip)}, {"port", flow.server_port}}},
                                 {"sni", sni},
                                 {"action", "allow"}};
  append_json(tree, HttpExchange(exchange));
  if (line != log::serialize_event(tree)) std::abort();
}

// Feeds the records after the options byte, then (option) closes, and renders
// every exchange both ways: JSON rendering must never throw on wire text, and the
// tree-less line must equal the tree's.
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
  for (const auto& e : observer.take_exchanges()) {
    check_tree_less_line(e);
    tlsgate::fuzz::check_event_line(to_json(e));
  }
}

}  // namespace tlsgate::http::fuzz

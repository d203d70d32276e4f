// Fuzzes the QUIC guard fed whole NFQUEUE packets, as the daemon's queue thread does:
// IP/UDP reader -> QuicGuard::feed -> verdicts and `quic` events, serialized the daemon's way.
// Checks: every packet id gets exactly one verdict (at once, or from expire), and every
// event serializes to one line of valid JSON.
//
// Input: one options byte (bit 0: unparseable accept; bit 1: tight hold limits), then
// records [u8 milliseconds since the previous packet][u16 BE length][IP packet].
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>

#include "netfilter/ip_udp.hpp"
#include "netfilter/quic_event.hpp"
#include "netfilter/quic_guard.hpp"
#include "tests/fuzz/event_check.hpp"

namespace {

using namespace tlsgate::netfilter;
using Clock = QuicGuard::Clock;

const tlsgate::policy::Policy& fuzz_policy() {
  static const auto policy = tlsgate::policy::Policy::parse(R"({"default": "intercept", "rules": [
      {"name": "pass", "host": ["example.com", "*.tunnel.test"], "action": "tunnel"},
      {"name": "deny", "host": ["blocked.test"], "action": "block"},
      {"name": "lan", "client": ["10.9.0.0/16", "fd09::/16"], "action": "tunnel"}]})",
                                                          "fuzz");
  return policy;
}

struct Verdicts {
  std::map<std::uint32_t, int> given;  // packet id -> verdicts issued
  void take(const GuardOutput& out) {
    for (const auto& v : out.verdicts) ++given[v.packet_id];
    for (const auto& r : out.records) tlsgate::fuzz::check_event_line(quic_json(r, {}));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  GuardLimits limits;
  limits.unparseable = (data[0] & 1) ? Verdict::accept : Verdict::drop;
  if (data[0] & 2) {
    limits.hold_packets = 2;
    limits.hold_bytes = 1500;
    limits.max_pending = 2;
    limits.max_decided = 2;
  }
  QuicGuard guard(limits);
  Verdicts verdicts;
  std::uint32_t next_id = 0;
  Clock::time_point now{};
  std::span<const std::uint8_t> in(data + 1, size - 1);
  while (in.size() >= 3) {
    now += std::chrono::milliseconds(in[0]);
    const std::size_t len = std::min<std::size_t>((std::size_t{in[1]} << 8) | in[2], in.size() - 3);
    const auto packet = in.subspan(3, len);
    in = in.subspan(3 + len);
    const std::uint32_t id = next_id++;
    const auto udp = parse_ip_udp(packet);
    if (!udp) {
      ++verdicts.given[id];  // the daemon accepts what is not a whole UDP datagram
      continue;
    }
    verdicts.take(guard.feed(id, udp->source, udp->destination, udp->payload, fuzz_policy(), now));
    verdicts.take(guard.expire(now));
  }
  verdicts.take(guard.expire(Clock::time_point::max()));
  if (verdicts.given.size() != next_id) std::abort();  // a packet left without a verdict
  for (const auto& [id, n] : verdicts.given)
    if (n != 1) std::abort();  // two verdicts for one packet
  return 0;
}

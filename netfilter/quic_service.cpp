#include "netfilter/quic_service.hpp"

#include <poll.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "netfilter/ip_udp.hpp"
#include "netfilter/quic_event.hpp"

namespace tlsgate::netfilter {
namespace {

// How often held packets are checked for hold_ms and stop() is noticed.
constexpr int tick_ms = 50;

GuardLimits limits_from(const QuicGuardConfig& c) {
  GuardLimits l;
  l.hold_packets = c.hold_packets;
  l.hold_bytes = c.hold_bytes;
  l.hold_time = c.hold_time;
  l.max_decided = c.decided_entries;
  l.decided_ttl = c.decided_ttl;
  l.unparseable = c.unparseable == QuicUnparseable::accept ? Verdict::accept : Verdict::drop;
  return l;
}

}  // namespace

QuicGuardService::QuicGuardService(SharedState& shared)
    : shared_(shared),
      queue_(shared.config.quic_guard.queue, !shared.config.quic_guard.fail_closed),
      guard_(limits_from(shared.config.quic_guard)) {}

QuicGuardService::~QuicGuardService() { stop(); }

void QuicGuardService::start() { thread_ = std::thread([this] { run(); }); }

void QuicGuardService::stop() {
  stopping_ = true;
  if (!thread_.joinable()) return;
  thread_.join();
  const auto& c = guard_.counters();
  std::fprintf(stderr,
               "tlsgate: QUIC guard: %llu packets accepted, %llu dropped, %llu held; "
               "%llu connections decided by the policy, %llu unparseable\n",
               static_cast<unsigned long long>(c.accepted), static_cast<unsigned long long>(c.dropped),
               static_cast<unsigned long long>(c.held), static_cast<unsigned long long>(c.decided),
               static_cast<unsigned long long>(c.unparseable));
}

void QuicGuardService::run() {
  const NfQueue::Handler handler = [this](std::uint32_t id, std::span<const std::uint8_t> packet) {
    on_packet(id, packet);
  };
  pollfd pfd{queue_.fd(), POLLIN, 0};
  while (!stopping_) {
    const int ready = ::poll(&pfd, 1, tick_ms);
    if (ready > 0 && !queue_.receive(handler)) {
      std::fprintf(stderr, "tlsgate: QUIC guard: reading the queue: %s\n", std::strerror(errno));
      break;
    }
    apply(guard_.expire(QuicGuard::Clock::now()));
  }
  // Held packets would be dropped by the kernel when the queue goes: give them their verdict.
  apply(guard_.expire(QuicGuard::Clock::time_point::max()));
}

void QuicGuardService::on_packet(std::uint32_t packet_id, std::span<const std::uint8_t> packet) {
  const auto udp = parse_ip_udp(packet);
  if (!udp) {
    // Not a whole UDP datagram (e.g. a fragment conntrack did not reassemble): not ours to judge.
    queue_.verdict(packet_id, true);
    return;
  }
  const auto policy = shared_.policy.load();
  apply(guard_.feed(packet_id, udp->source, udp->destination, udp->payload, *policy, QuicGuard::Clock::now()));
}

void QuicGuardService::apply(const GuardOutput& out) {
  for (const auto& v : out.verdicts) {
    queue_.verdict(v.packet_id, v.verdict == Verdict::accept);
    shared_.metrics.quic_verdict(v.verdict == Verdict::accept);
  }
  for (const auto& r : out.records) shared_.log.submit_event(quic_json(r, std::chrono::system_clock::now()));
}

}  // namespace tlsgate::netfilter

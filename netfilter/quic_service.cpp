#include "netfilter/quic_service.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>

#include "gateway/diag.hpp"
#include "netfilter/ip_udp.hpp"
#include "netfilter/quic_event.hpp"

namespace tlsgate::netfilter {
namespace {

// How often held packets are checked for hold_ms and stop() is noticed.
constexpr int tick_ms = 50;
// A bug that traffic can trigger must not flood stderr: one line per interval, with a count.
constexpr auto error_report_interval = std::chrono::seconds(10);

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

QuicGuardService::QuicGuardService(const QuicGuardConfig& config, const std::optional<std::string>& user, GuardHost& host)
    : host_(host),
      queue_(config.queue, !config.fail_closed, user),
      guard_(limits_from(config)),
      unparseable_accept_(config.unparseable == QuicUnparseable::accept),
      errors_(error_report_interval) {}

QuicGuardService::~QuicGuardService() { stop(); }

void QuicGuardService::start() { thread_ = std::thread([this] { run(); }); }

void QuicGuardService::stop() {
  stopping_ = true;
  if (!thread_.joinable()) return;
  thread_.join();
  const auto& c = guard_.counters();
  diag::notice("QUIC guard: %llu packets accepted, %llu dropped, %llu held; "
               "%llu connections decided by the policy, %llu unparseable",
               static_cast<unsigned long long>(c.accepted), static_cast<unsigned long long>(c.dropped),
               static_cast<unsigned long long>(c.held), static_cast<unsigned long long>(c.decided),
               static_cast<unsigned long long>(c.unparseable));
}

// Nothing that escapes a packet or the loop stops the thread (a LAN host could send it
// again and again): it is reported, rate-limited, and the guard goes on.
void QuicGuardService::run() {
  const NfQueue::Handler handler = [this](std::uint32_t id, std::span<const std::uint8_t> packet) {
    on_packet(id, packet);
  };
  while (!stopping_) {
    try {
      pollfd pfd{queue_.fd(), POLLIN, 0};
      const int ready = ::poll(&pfd, 1, tick_ms);
      if (ready > 0 && !queue_.receive(handler)) {
        diag::error("QUIC guard: reading from the nfqueue relay: %s; the guard stops", std::strerror(errno));
        break;
      }
      apply(guard_.expire(QuicGuard::Clock::now()));
    } catch (...) {
      report("the receive loop", std::current_exception());
    }
  }
  // Held packets would be dropped by the kernel when the queue goes: give them their verdict.
  try {
    apply(guard_.expire(QuicGuard::Clock::time_point::max()));
  } catch (...) {
    report("releasing held packets", std::current_exception());
  }
}

void QuicGuardService::on_packet(std::uint32_t packet_id, std::span<const std::uint8_t> packet) {
  try {
    judge(packet_id, packet);
  } catch (...) {
    // The packet still gets a verdict: the one for what cannot be decided. If the guard
    // had issued one already, the kernel refuses the second; nothing is lost.
    queue_.verdict(packet_id, unparseable_accept_);
    report("a packet", std::current_exception());
  }
}

void QuicGuardService::judge(std::uint32_t packet_id, std::span<const std::uint8_t> packet) {
  const auto udp = parse_ip_udp(packet);
  if (!udp) {
    // Not a whole UDP datagram (e.g. a fragment conntrack did not reassemble): not ours to judge.
    queue_.verdict(packet_id, true);
    return;
  }
  const auto policy = host_.policy();
  apply(guard_.feed(packet_id, udp->source, udp->destination, udp->payload, *policy, QuicGuard::Clock::now()));
}

void QuicGuardService::report(const char* where, std::exception_ptr error) {
  const std::uint64_t count = errors_.record(ErrorThrottle::Clock::now());
  if (count == 0) return;
  std::string what = "an exception that is not a std::exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  diag::error("QUIC guard: internal error in %s: %s (%llu error(s) since the last report; going on)", where,
              what.c_str(), static_cast<unsigned long long>(count));
}

void QuicGuardService::apply(const GuardOutput& out) {
  for (const auto& v : out.verdicts) {
    queue_.verdict(v.packet_id, v.verdict == Verdict::accept);
    host_.count_verdict(v.verdict == Verdict::accept);
  }
  for (const auto& r : out.records) host_.submit_event(quic_json(r, std::chrono::system_clock::now()));
}

}  // namespace tlsgate::netfilter

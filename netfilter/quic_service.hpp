#pragma once
// The QUIC guard in the daemon: one thread reads the NFQUEUE's packets from the relay process
// (netfilter/nfqueue_relay, which alone holds CAP_NET_ADMIN), feeds the pure engine
// (netfilter/quic_guard) with the policy in force, sends back its verdicts and logs `quic` events.
#include <atomic>
#include <thread>

#include "gateway/shared_state.hpp"
#include "netfilter/error_throttle.hpp"
#include "netfilter/nfqueue_relay.hpp"
#include "netfilter/quic_guard.hpp"

namespace tlsgate::netfilter {

class QuicGuardService {
 public:
  // Starts the relay for config.quic_guard.queue; throws std::runtime_error if it cannot.
  explicit QuicGuardService(SharedState& shared);
  ~QuicGuardService();  // stop()
  QuicGuardService(const QuicGuardService&) = delete;
  QuicGuardService& operator=(const QuicGuardService&) = delete;

  void start();
  // Gives held packets the unparseable verdict, joins the thread and prints the counters.
  // Idempotent.
  void stop();

 private:
  void run();
  void poll_once();
  void on_packet(std::uint32_t packet_id, std::span<const std::uint8_t> packet);
  void judge(std::uint32_t packet_id, std::span<const std::uint8_t> packet);
  void apply(const GuardOutput& out);
  void report(const char* where, std::exception_ptr error);

  SharedState& shared_;
  RelayedQueue queue_;
  QuicGuard guard_;
  bool unparseable_accept_;
  ErrorThrottle errors_;  // what escaped: printed at most once per interval, with a count
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tlsgate::netfilter

#pragma once
// The QUIC guard in the daemon: one thread reads the NFQUEUE's packets from the relay process
// (netfilter/nfqueue_relay, which alone holds CAP_NET_ADMIN), feeds the pure engine
// (netfilter/quic_guard) with the policy in force, sends back its verdicts and logs `quic` events.
#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/config.hpp"
#include "gateway/policy/policy.hpp"
#include "netfilter/error_throttle.hpp"
#include "netfilter/nfqueue_relay.hpp"
#include "netfilter/quic_guard.hpp"

namespace tlsgate::netfilter {

// What the guard reads and writes of the running daemon, which implements it.
// Called from the guard's thread: each must be thread-safe and must not block.
class GuardHost {
 public:
  virtual ~GuardHost() = default;
  // The policy in force; the guard decides a packet with the snapshot it loaded.
  virtual std::shared_ptr<const policy::Policy> policy() const = 0;
  // One packet got its verdict (for /metrics).
  virtual void count_verdict(bool accepted) = 0;
  // A `quic` event for the flow log.
  virtual void submit_event(const nlohmann::ordered_json& event) = 0;
};

class QuicGuardService {
 public:
  // Starts the relay for config.queue (which drops privileges to `user`); throws
  // std::runtime_error if it cannot. `host` outlives the service.
  QuicGuardService(const QuicGuardConfig& config, const std::optional<std::string>& user, GuardHost& host);
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

  GuardHost& host_;
  RelayedQueue queue_;
  QuicGuard guard_;
  bool unparseable_accept_;
  ErrorThrottle errors_;  // what escaped: printed at most once per interval, with a count
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tlsgate::netfilter

#pragma once
// The daemon's side of the QUIC guard: its policy, counters and flow log,
// shown to the guard's thread through netfilter::GuardHost.
#include "gateway/flow/shared_state.hpp"
#include "netfilter/quic_service.hpp"

namespace tlsgate {

class QuicGuardHost final : public netfilter::GuardHost {
 public:
  explicit QuicGuardHost(SharedState& shared) : shared_(shared) {}
  std::shared_ptr<const policy::Policy> policy() const override { return shared_.policy.load(); }
  void count_verdict(bool accepted) override { shared_.metrics.quic_verdict(accepted); }
  void submit_event(const nlohmann::ordered_json& event) override { shared_.log.submit_event(event); }

 private:
  SharedState& shared_;
};

}  // namespace tlsgate

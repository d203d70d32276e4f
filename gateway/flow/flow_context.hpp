#pragma once
// One flow's sockets, record and view of the policy, shared by the steps that
// carry its verdicts out. The record collects facts as they are learned; its
// verdict and end each have one writer (carry_out() and run_flow()).
#include "gateway/asio.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/snapshot.hpp"

namespace tlsgate {

struct FlowWatch;
struct SharedState;

struct FlowContext {
  SharedState& shared;
  tcp::socket& client;
  tcp::socket& upstream;
  FlowRecord& record;
  FlowWatch& control;
  // The policy in force: every decision (the flow's, each HTTP request's) asks
  // policy.current(), so a decision taken after a reload uses the new policy.
  SnapshotView<policy::Policy> policy;
};

}  // namespace tlsgate

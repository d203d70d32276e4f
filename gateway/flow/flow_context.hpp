#pragma once
// One flow's sockets, record and policy snapshot, shared by the steps that
// carry its verdicts out. The record collects facts as they are learned; its
// verdict and end each have one writer (carry_out() and run_flow()).
#include <memory>

#include "gateway/asio.hpp"
#include "gateway/log/flow_record.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate {

struct FlowWatch;
struct SharedState;

struct FlowContext {
  SharedState& shared;
  tcp::socket& client;
  tcp::socket& upstream;
  FlowRecord& record;
  FlowWatch& control;
  std::shared_ptr<const policy::Policy> policy;  // the snapshot this flow keeps
};

}  // namespace tlsgate

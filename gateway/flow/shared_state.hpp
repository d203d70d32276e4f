#pragma once
// What all workers share: the config, the flow log, flow ids, and the
// read-mostly snapshots (own addresses, policy) swapped atomically, and the
// thread-safe TLS interception state.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "gateway/capture/capture_sink.hpp"
#include "gateway/config.hpp"
#include "gateway/flow/block_page.hpp"
#include "gateway/flow/flow_limits.hpp"
#include "gateway/ip_address.hpp"
#include "gateway/snapshot.hpp"
#include "gateway/log/flow_log.hpp"
#include "gateway/metrics/metrics.hpp"
#include "gateway/policy/cidr.hpp"
#include "gateway/policy/client_ca.hpp"
#include "gateway/policy/learned_bypass.hpp"
#include "gateway/policy/neighbour_table.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/tls/tls_engine.hpp"

namespace tlsgate {

struct SharedState {
  SharedState(const Config& c, log::FlowLog& l) : config(c), log(l) {}
  const Config& config;
  log::FlowLog& log;
  std::atomic<std::uint64_t> next_flow_id{1};
  // Active flows in total and per client, for max_flows / max_flows_per_client.
  FlowLimits limits{config.max_flows, config.max_flows_per_client, config.client_ipv6_prefix};
  // This host's addresses, refreshed periodically: a connection whose original
  // destination is one of them was not redirected to us.
  Snapshot<std::vector<IpAddress>> own_addresses;
  // The kernel's neighbour table (client MACs, for client groups by MAC),
  // refreshed by the daemon while the policy has groups by MAC.
  Snapshot<policy::NeighbourTable> neighbours;
  // Set by a flow whose client is not in `neighbours`: the next refresh comes sooner.
  std::atomic<bool> neighbour_miss{false};
  // config.forbidden_destinations as prefixes (set at startup, read-only after).
  std::vector<policy::Cidr> forbidden_destinations;
  // The policy in force: an immutable snapshot; a flow keeps the one it loaded.
  Snapshot<policy::Policy> policy;
  // block_page_text and block_page_file, read at startup and on SIGHUP (unset: the built-in page).
  Snapshot<BlockPageTemplate> block_page;
  std::unique_ptr<tls::TlsEngine> tls;              // CA, forge, caches
  std::unique_ptr<policy::LearnedBypass> bypass;       // null when learned_bypass is off
  // Whether the gateway CA works for each client, from its handshakes (onboarding, metrics).
  policy::ClientCaTable client_ca{policy::ClientCaOptions{.client_ipv6_prefix = config.client_ipv6_prefix}};
  capture::CaptureSink* capture = nullptr;             // decrypted pcap; null when `pcap` is off
  metrics::Metrics metrics;                            // counters for /metrics (docs/metrics.md)
};

}  // namespace tlsgate

#pragma once
// The gateway's data path without root: run_flow() for every connection
// accepted on 127.0.0.1, with the original destination named by the test
// instead of the kernel's NAT table, a fresh gateway CA, and the flow log
// written to a file in a temporary directory, read back as JSON.
#include <atomic>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"
#include "gateway/flow/flow_watch.hpp"
#include "gateway/flow/original_dst.hpp"
#include "gateway/log/flow_log.hpp"
#include "gateway/policy/policy.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate::testing {

// A directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct GatewaySetup {
  Config config;  // flow_log and state_dir are replaced with files in the harness's directory
  std::shared_ptr<const policy::Policy> policy = std::make_shared<const policy::Policy>(
      policy::Policy::allow_all(policy::Action::intercept));
  OriginalDestinationLookup find_original;
  std::vector<IpAddress> own_addresses;  // this "host's" addresses: 127.0.0.1 by default
};

class GatewayHarness {
 public:
  explicit GatewayHarness(GatewaySetup setup);
  ~GatewayHarness();  // ends running flows (as at shutdown), then stops
  GatewayHarness(const GatewayHarness&) = delete;
  GatewayHarness& operator=(const GatewayHarness&) = delete;

  // Where clients connect: the gateway's listener on 127.0.0.1.
  const Endpoint& endpoint() const { return endpoint_; }
  // The gateway CA that signs forged certificates: what an intercepted client trusts.
  X509* ca_certificate() const { return shared_.tls->ca().certificate(); }

  // Waits (bounded, generously) until `count` flow lines were written; returns
  // the first `count`, in order. Fewer when the wait ran out.
  std::vector<nlohmann::json> flow_lines(std::size_t count);
  // Every line with this `event` written so far.
  std::vector<nlohmann::json> events(std::string_view event) const;
  // Ends every running flow the way the daemon's shutdown does.
  void terminate_flows();

 private:
  awaitable<void> accept_loop();

  TempDir dir_;
  Config config_;
  log::FlowLog log_;
  SharedState shared_;
  OriginalDestinationLookup find_original_;
  FlowRegistry registry_;  // io_ thread only; outlives the flows io_ may still hold
  asio::io_context io_;
  tcp::acceptor acceptor_;
  Endpoint endpoint_;
  std::atomic<int> running_flows_{0};
  std::thread thread_;
};

}  // namespace tlsgate::testing

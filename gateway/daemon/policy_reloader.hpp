#pragma once
// Live policy reload: on SIGHUP (reload()) and when the policy file changes
// (inotify on its directory, so editors that replace the file by rename are
// seen too). A valid file becomes the new immutable snapshot that every later
// decision asks, and running flows are decided again with it: those it refuses
// are closed (reload_flows). An invalid file keeps the old policy. Either way
// one `"event":"policy"` line (after the workers counted what they closed).
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/daemon/flow_source.hpp"
#include "gateway/daemon/reload_flows.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {

struct ReloadResult {
  std::string error;  // empty: the new policy is in force
  std::size_t rules = 0;
  ReloadReach reach;  // what it did to the running flows
};

class PolicyReloader {
 public:
  // Starts watching `shared.config.policy_file` (must be set) on `io`. A reload
  // reaches the flows of `workers`.
  PolicyReloader(asio::io_context& io, SharedState& shared, std::vector<FlowSource> workers);
  ~PolicyReloader();
  PolicyReloader(const PolicyReloader&) = delete;
  PolicyReloader& operator=(const PolicyReloader&) = delete;

  // Reloads now; the running flows meet the new policy in the background (SIGHUP, a changed file).
  void reload();
  // Reloads and tells how it went (`tlsgate policy reload`); runs on `io`.
  awaitable<ReloadResult> reload_now();

 private:
  awaitable<void> watch();
  // Loads and checks the file and puts it in force; null (and `error`) when it does not load.
  std::shared_ptr<const policy::Policy> install(std::chrono::system_clock::time_point ts, std::string& error);

  SharedState& shared_;
  std::vector<FlowSource> workers_;
  std::string path_;
  std::string directory_;
  std::string name_;
  int inotify_fd_ = -1;
  asio::io_context& io_;
};

}  // namespace tlsgate

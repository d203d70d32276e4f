#pragma once
// Live policy reload: on SIGHUP (reload()) and when the policy file changes
// (inotify on its directory, so editors that replace the file by rename are
// seen too). A valid file becomes the new immutable snapshot for new flows; an
// invalid one keeps the old policy. Either way one `"event":"policy"` line.
#include <string>

#include "gateway/asio.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {

class PolicyReloader {
 public:
  // Starts watching `shared.config.policy_file` (must be set) on `io`.
  PolicyReloader(asio::io_context& io, SharedState& shared);
  ~PolicyReloader();
  PolicyReloader(const PolicyReloader&) = delete;
  PolicyReloader& operator=(const PolicyReloader&) = delete;

  void reload();

 private:
  awaitable<void> watch();

  SharedState& shared_;
  std::string path_;
  std::string directory_;
  std::string name_;
  int inotify_fd_ = -1;
  asio::io_context& io_;
};

}  // namespace tlsgate

#pragma once
// What the control thread does besides signals: the control socket (`tlsgate
// bypass ...`, `tlsgate status --flows`, `tlsgate policy reload`), and the learned-bypass
// upkeep: a periodic sweep (`expired` events) and saving the table when it
// changed, off the worker threads.
#include <memory>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/daemon/flow_source.hpp"
#include "gateway/flow/shared_state.hpp"

namespace tlsgate {

class ControlSocket;
class PolicyReloader;

class ControlPlane {
 public:
  // Starts serving on `control` (the caller runs it). A control socket that cannot be
  // created is reported on stderr and left out: the gateway runs without it. The
  // `flows` command asks each of `workers` on its own thread; `policy reload` asks
  // `reloader` (null without a policy file), which must outlive this.
  ControlPlane(asio::io_context& control, SharedState& shared, std::vector<FlowSource> workers,
               PolicyReloader* reloader);
  // Saves the learned-bypass table one last time and removes the socket. Destroy it
  // after the workers stopped (so their last lessons are saved), before `control`.
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

 private:
  SharedState& shared_;
  std::unique_ptr<ControlSocket> socket_;
};

std::unique_ptr<ControlPlane> start_control_plane(asio::io_context& control, SharedState& shared,
                                                  std::vector<FlowSource> workers, PolicyReloader* reloader);

}  // namespace tlsgate

#pragma once
// A worker's running flows, as the control thread reaches them: post to `io`,
// and touch `flows` only inside what was posted (the worker's own thread).
#include "gateway/asio.hpp"
#include "gateway/flow/flow_watch.hpp"

namespace tlsgate {

struct FlowSource {
  asio::io_context* io;
  FlowRegistry* flows;
};

}  // namespace tlsgate

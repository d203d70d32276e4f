#pragma once
// The ICAP clients of the calling worker thread, one per service, made at first use: a flow
// stays on its thread, so its scans share that thread's pool of connections to the service
// and need no lock. A scan holds its client (shared), so a client outlives every scan in
// flight, whenever the thread's table goes away.
#include <memory>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"
#include "gateway/icap/icap_client.hpp"
#include "gateway/icap/service_uri.hpp"

namespace tlsgate {

// The config's `icap` limits as a client's; each service's Max-Connections is shared by the
// worker threads' clients.
icap::ClientLimits icap_client_limits(const Config& config);

// `executor`: the calling thread's io_context (the flow's executor). `config`: its `icap`
// limits, and the worker count that shares each service's Max-Connections.
std::shared_ptr<icap::IcapClient> icap_client_for(asio::any_io_executor executor, const icap::ServiceUri& service,
                                                  const Config& config);

}  // namespace tlsgate

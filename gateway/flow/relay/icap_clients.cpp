#include "gateway/flow/relay/icap_clients.hpp"

#include <map>
#include <string>

namespace tlsgate {

icap::ClientLimits icap_client_limits(const Config& config) {
  icap::ClientLimits limits;
  limits.max_connections = config.icap.max_connections;
  limits.service_share = config.worker_threads();
  limits.connect_timeout = std::min(config.icap.connect_timeout, config.icap.scan_timeout);
  limits.scan_timeout = config.icap.scan_timeout;
  limits.max_preview_bytes = config.icap.max_preview_bytes;
  return limits;
}

std::shared_ptr<icap::IcapClient> icap_client_for(asio::any_io_executor executor, const icap::ServiceUri& service,
                                                  const Config& config) {
  // Few services (one per distinct `scan.service` ever loaded), so the table stays small.
  thread_local std::map<std::string, std::shared_ptr<icap::IcapClient>> clients;
  auto& client = clients[service.uri()];
  if (!client) client = std::make_shared<icap::IcapClient>(std::move(executor), service, icap_client_limits(config));
  return client;
}

}  // namespace tlsgate

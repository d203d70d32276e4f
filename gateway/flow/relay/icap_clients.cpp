#include "gateway/flow/relay/icap_clients.hpp"

#include <map>
#include <string>

namespace tlsgate {

std::shared_ptr<icap::IcapClient> icap_client_for(asio::any_io_executor executor, const icap::ServiceUri& service) {
  // Few services (one per distinct `scan.service` ever loaded), so the table stays small.
  thread_local std::map<std::string, std::shared_ptr<icap::IcapClient>> clients;
  auto& client = clients[service.uri()];
  if (!client) client = std::make_shared<icap::IcapClient>(std::move(executor), service);
  return client;
}

}  // namespace tlsgate

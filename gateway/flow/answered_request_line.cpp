#include "gateway/flow/answered_request_line.hpp"

#include <chrono>
#include <string>

#include "gateway/flow/shared_state.hpp"
#include "gateway/log/community_id.hpp"
#include "gateway/log/events/fields.hpp"

namespace tlsgate {

void log_answered_request(SharedState& shared, const FlowRecord& record, const http::HttpExchange& exchange,
                          const log::HttpEventAction& action) {
  const std::string ts = log::rfc3339_utc(std::chrono::system_clock::now());
  const std::string community_id = log::community_id(record.client, record.server, log::ip_proto_tcp);
  const std::string client_ip = record.client.ip.to_string();
  const std::string server_ip = record.server.ip.to_string();
  const std::string* sni = record.hello && record.hello->sni ? &*record.hello->sni : nullptr;
  const log::HttpEventFlow flow{ts,        record.flow_id,     community_id, client_ip, record.client.port,
                                server_ip, record.server.port, sni};
  std::string line;
  log::write_http_event(line, flow, exchange, action);
  shared.log.submit_serialized_event(line);
}

}  // namespace tlsgate

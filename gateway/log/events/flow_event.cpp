#include "gateway/log/events/flow_event.hpp"

#include "gateway/log/community_id.hpp"
#include "gateway/log/events/fields.hpp"
#include "gateway/tls/trust_store.hpp"

namespace tlsgate::log {
namespace {

using nlohmann::ordered_json;

ordered_json tls_json(const FlowRecord& r) {
  ordered_json tls = ordered_json::object();
  if (r.hello) {
    ordered_json client;
    client["version"] = r.hello->version;
    client["alpn"] = r.hello->alpn;
    client["ja3"] = r.hello->ja3;
    client["ja4"] = r.hello->ja4;
    client["ech"] = r.hello->ech;
    if (r.client_tls)
      client["negotiated"] = {{"version", r.client_tls->version},
                              {"cipher", r.client_tls->cipher},
                              {"alpn", optional_text(r.client_tls->alpn)},
                              {"resumed", r.client_tls->resumed}};
    tls["client"] = std::move(client);
  }
  if (const auto& up = r.upstream_tls) {
    ordered_json j;
    if (up->error) {
      j["error"] = *up->error;
    } else {
      j["version"] = up->negotiated.version;
      j["alpn"] = optional_text(up->negotiated.alpn);
      j["cipher"] = up->negotiated.cipher;
      j["resumed"] = up->negotiated.resumed;
      j["verify"] = up->verify;
      if (up->certificate_summary) {
        j["cert"] = *up->certificate_summary;
      } else if (up->certificate) {
        j["cert"] = tls::certificate_summary(up->certificate.get());
      }
    }
    tls["upstream"] = std::move(j);
  }
  if (r.forged_cache_hit) tls["forged"] = {{"cache", *r.forged_cache_hit ? "hit" : "miss"}};
  return tls;
}

}  // namespace

ordered_json flow_json(const FlowRecord& r, std::chrono::system_clock::time_point end_wall,
                                 std::chrono::steady_clock::time_point end) {
  const double duration_ms =
      std::chrono::duration<double, std::milli>(end - r.start).count();
  ordered_json j;
  j["event"] = "flow";
  j["ts"] = rfc3339_utc(end_wall);
  j["start"] = rfc3339_utc(r.start_wall);
  j["flow_id"] = r.flow_id;
  j["community_id"] = community_id(r.client, r.server, ip_proto_tcp);
  j["client"] = endpoint_json(r.client);
  j["server"] = endpoint_json(r.server);
  j["proto"] = r.proto;
  j["action"] = to_string(r.verdict.action);
  j["reason"] = line_reason(r);
  j["bytes"] = {{"from_client", r.from_client}, {"to_client", r.to_client}};
  j["duration_ms"] = static_cast<double>(static_cast<long long>(duration_ms * 1000)) / 1000;
  j["end"] = {{"by", to_string(r.end.by)}, {"error", optional_text(r.end.error)}};
  if (r.hello) j["sni"] = optional_text(r.hello->sni);
  if (r.hello || r.upstream_tls || r.forged_cache_hit) j["tls"] = tls_json(r);
  if (r.verdict.host) j["host"] = optional_text(*r.verdict.host);
  if (r.http) {
    ordered_json http;
    http["exchanges"] = r.http->exchanges;
    if (r.http->blocked > 0) http["blocked"] = r.http->blocked;
    if (r.http->websocket) {
      http["websocket"] = true;
      http["websocket_bytes"] = r.http->websocket_bytes;
    }
    j["http"] = std::move(http);
  }
  if (r.inspect_error) j["inspect_error"] = *r.inspect_error;
  if (r.verdict.rule) j["policy"] = policy_json(*r.verdict.rule);
  return j;
}

}  // namespace tlsgate::log

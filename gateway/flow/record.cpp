#include "gateway/flow/record.hpp"

#include <array>
#include <ctime>

#include "gateway/log/community_id.hpp"
#include "gateway/tls/trust_store.hpp"

namespace tlsgate {

std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::not_redirected: return "not_redirected";
    case EndReason::no_original_destination: return "no_original_destination";
    case EndReason::upstream_refused: return "upstream_refused";
    case EndReason::upstream_unreachable: return "upstream_unreachable";
    case EndReason::upstream_timeout: return "upstream_timeout";
    case EndReason::upstream_error: return "upstream_error";
    case EndReason::idle_timeout: return "idle_timeout";
    case EndReason::shutdown: return "shutdown";
    case EndReason::peek_timeout: return "peek_timeout";
    case EndReason::client_closed_early: return "client_closed_early";
    case EndReason::not_tls: return "not_tls";
    case EndReason::policy: return "policy";
    case EndReason::learned_bypass: return "learned_bypass";
    case EndReason::upstream_cert_invalid: return "upstream_cert_invalid";
    case EndReason::upstream_handshake_failed: return "upstream_handshake_failed";
    case EndReason::no_observable_alpn: return "no_observable_alpn";
    case EndReason::client_rejected_certificate: return "client_rejected_certificate";
    case EndReason::client_handshake_failed: return "client_handshake_failed";
    case EndReason::phase_timeout: return "phase_timeout";
    case EndReason::internal_error: return "internal_error";
  }
  return "internal_error";
}

std::string reason_text(const FlowReason& reason) {
  if (const auto* r = std::get_if<EndReason>(&reason)) return std::string(to_string(*r));
  return "client_hello_" + std::string(tls::to_string(std::get<tls::ClientHelloError>(reason)));
}

std::string_view to_string(FlowAction action) {
  switch (action) {
    case FlowAction::tunnel: return "tunnel";
    case FlowAction::intercept: return "intercept";
    case FlowAction::block: return "block";
    case FlowAction::reject: return "reject";
  }
  return "reject";
}

std::string_view to_string(EndBy by) {
  switch (by) {
    case EndBy::client: return "client";
    case EndBy::server: return "server";
    case EndBy::timeout: return "timeout";
    case EndBy::shutdown: return "shutdown";
    case EndBy::error: return "error";
  }
  return "error";
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 40> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 16> frac{};
  std::snprintf(frac.data(), frac.size(), ".%06lldZ", static_cast<long long>(us % 1'000'000));
  return std::string(buf.data(), n) + frac.data();
}

namespace {

using nlohmann::ordered_json;

ordered_json optional_text(const std::optional<std::string>& text) {
  return text ? ordered_json(*text) : ordered_json(nullptr);
}

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

void summarize_certificate(FlowRecord& record) {
  auto& up = record.upstream_tls;
  if (!up || !up->certificate) return;
  up->certificate_summary = tls::certificate_summary(up->certificate.get());
  up->certificate.reset();
}

nlohmann::ordered_json flow_json(const FlowRecord& r, std::chrono::system_clock::time_point end_wall,
                                 std::chrono::steady_clock::time_point end) {
  const double duration_ms =
      std::chrono::duration<double, std::milli>(end - r.start).count();
  ordered_json j;
  j["event"] = "flow";
  j["ts"] = rfc3339_utc(end_wall);
  j["start"] = rfc3339_utc(r.start_wall);
  j["flow_id"] = r.flow_id;
  j["community_id"] = log::community_id(r.client, r.server, log::ip_proto_tcp);
  j["client"] = {{"ip", r.client.ip.to_string()}, {"port", r.client.port}};
  j["server"] = {{"ip", r.server.ip.to_string()}, {"port", r.server.port}};
  j["proto"] = r.proto;
  j["action"] = to_string(r.outcome.action);
  j["reason"] = reason_text(r.outcome.reason);
  j["bytes"] = {{"from_client", r.from_client}, {"to_client", r.to_client}};
  j["duration_ms"] = static_cast<double>(static_cast<long long>(duration_ms * 1000)) / 1000;
  j["end"] = {{"by", to_string(r.outcome.end_by)},
              {"error", r.outcome.error ? ordered_json(*r.outcome.error) : ordered_json(nullptr)}};
  if (r.hello) j["sni"] = optional_text(r.hello->sni);
  if (r.hello || r.upstream_tls || r.forged_cache_hit) j["tls"] = tls_json(r);
  if (r.host) j["host"] = optional_text(*r.host);
  if (r.http) {
    ordered_json http;
    http["exchanges"] = r.http->exchanges;
    if (r.http->websocket) {
      http["websocket"] = true;
      http["websocket_bytes"] = r.http->websocket_bytes;
    }
    j["http"] = std::move(http);
  }
  if (r.inspect_error) j["inspect_error"] = *r.inspect_error;
  if (r.decision) j["policy"] = {{"rule", r.decision->rule}, {"action", policy::to_string(r.decision->action)}};
  return j;
}

}  // namespace tlsgate

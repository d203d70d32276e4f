#include "gateway/flow/intercept.hpp"

#include <algorithm>
#include <array>

#include "gateway/flow/steps.hpp"
#include "gateway/flow/http_tap.hpp"
#include "gateway/flow/relay/tls_bridge.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/tls/forge.hpp"
#include "gateway/tls/tls_stream.hpp"
#include "gateway/tls/trust_store.hpp"
#include "gateway/flow/tls_port.hpp"
#include "gateway/flow/control.hpp"

namespace tlsgate {
namespace {

using std::chrono::steady_clock;

// Protocols whose plaintext the observers understand; others are tunnelled.
constexpr std::array<std::string_view, 2> observable_protocols{"h2", "http/1.1"};

// A client that ends this soon after our handshake, without sending a byte,
// most likely refused our certificate after the fact (pinning, app checks).
constexpr auto silent_rejection_window = std::chrono::seconds(2);

std::vector<std::string> observable_alpn(const tls::ClientHello& hello) {
  std::vector<std::string> offer;
  for (const auto& p : hello.alpn) {
    if (std::find(observable_protocols.begin(), observable_protocols.end(), p) != observable_protocols.end()) {
      offer.push_back(p);
    }
  }
  return offer;
}

// Alerts a client sends when it does not accept the certificate it was shown.
bool is_certificate_rejection(int alert) {
  return (alert >= 42 && alert <= 46) || alert == 48;  // bad/unsupported/revoked/expired/unknown cert, unknown_ca
}

// The learned-bypass key: the SNI, or the server address for clients without one.
std::string bypass_host(const TlsFlow& flow) {
  return flow.hello.sni ? *flow.hello.sni : flow.record.server.ip.to_string();
}

std::string protocol_name(SSL* ssl) { return SSL_get_version(ssl); }

std::optional<std::string> selected_alpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  if (len == 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(data), len);
}

nlohmann::ordered_json upstream_json(SSL* ssl, X509* peer, long verify) {
  nlohmann::ordered_json j;
  j["version"] = protocol_name(ssl);
  const auto alpn = selected_alpn(ssl);
  j["alpn"] = alpn ? nlohmann::ordered_json(*alpn) : nlohmann::ordered_json(nullptr);
  j["cipher"] = SSL_get_cipher_name(ssl);
  j["resumed"] = SSL_session_reused(ssl) == 1;
  j["verify"] = verify == X509_V_OK ? std::string("ok") : tls::verify_error_text(verify);
  if (peer) j["cert"] = tls::certificate_summary(peer);
  return j;
}

// Leaves the intercept path for a blind tunnel over a fresh upstream connection:
// the client's untouched ClientHello is still in the kernel.
awaitable<void> tunnel_fresh(TlsFlow& flow, EndReason reason) {
  close_socket(flow.upstream);
  flow.record.action = FlowAction::tunnel;
  flow.record.set_reason(reason);
  co_await tunnel_to_destination(flow.client, flow.upstream, flow.record, flow.control,
                                 flow.shared.config.connect_timeout);
}

void learn_rejection(TlsFlow& flow, const std::string& why) {
  flow.record.set_reason(EndReason::client_rejected_certificate);
  auto& bypass = flow.shared.bypass;
  if (!bypass) return;
  try {
    bypass->add(bypass_host(flow), flow.record.client.ip, why);
  } catch (const std::exception& e) {
    flow.record.extra["bypass_error"] = e.what();
  }
}

// The late decision for a ClientHello without SNI. Returns true when the flow
// was finished here (blocked or tunnelled).
awaitable<bool> decide_late(TlsFlow& flow, std::vector<std::string> hosts) {
  flow.query.hosts = std::move(hosts);
  if (!flow.query.hosts.empty()) flow.record.extra["host"] = flow.query.hosts.front();
  const policy::Decision decision = flow.policy->decide(flow.query);
  record_decision(flow.record, decision);
  switch (decision.action) {
    case policy::Action::block:
      close_socket(flow.upstream);
      refuse_with_alert(flow, alert_access_denied);
      flow.record.end_error = "blocked by policy rule " + decision.rule;
      co_return true;
    case policy::Action::tunnel:
      co_await tunnel_fresh(flow, EndReason::policy);
      co_return true;
    case policy::Action::intercept:
      co_return false;
  }
  co_return false;
}

std::vector<std::string> certificate_hosts(X509* cert) {
  const tls::CertNames names = tls::names_of(cert);
  std::vector<std::string> hosts = names.dns_names;
  if (names.common_name) hosts.push_back(*names.common_name);
  return hosts;
}

}  // namespace

awaitable<void> intercept_flow(TlsFlow& flow, bool decided) {
  SharedState& shared = flow.shared;
  const Config& config = shared.config;
  FlowRecord& record = flow.record;
  record.action = FlowAction::intercept;

  if (decided && shared.bypass && shared.bypass->contains(bypass_host(flow), record.client.ip)) {
    co_await tunnel_fresh(flow, EndReason::learned_bypass);
    co_return;
  }
  const auto alpn = observable_alpn(flow.hello);
  if (!flow.hello.alpn.empty() && alpn.empty()) {
    co_await tunnel_fresh(flow, EndReason::no_observable_alpn);
    co_return;
  }

  // 1. Upstream first: its certificate is what we imitate.
  if (!co_await connect_upstream(flow.upstream, record.server, record, config.connect_timeout)) {
    // Unreachable: without SNI the address alone decides (a block still answers with an alert).
    if (!decided && co_await decide_late(flow, {})) co_return;
    reset_socket(flow.client);
    co_return;
  }
  const std::string server_ip = record.server.ip.to_string();
  const std::string session_key =
      flow.hello.sni.value_or("") + '|' + server_ip + ':' + std::to_string(record.server.port);
  tls::TlsStream upstream(flow.upstream, shared.tls->new_upstream_ssl(flow.hello.sni, server_ip, session_key, alpn));
  const auto upstream_done = co_await with_timeout(upstream.handshake(), config.connect_timeout);
  if (!upstream_done || upstream_done->status != tls::IoStatus::ok) {
    record.extra["tls"]["upstream"] = {{"error", upstream_done ? upstream_done->error : "handshake timed out"}};
    if (!decided && co_await decide_late(flow, {})) co_return;
    co_await tunnel_fresh(flow, EndReason::upstream_handshake_failed);
    co_return;
  }
  flow.control.touch();

  // 2. Verify; never forge a trusted certificate for an upstream that fails.
  const tls::X509Ptr peer(SSL_get1_peer_certificate(upstream.ssl()));
  const long verify = peer ? SSL_get_verify_result(upstream.ssl()) : X509_V_ERR_UNSPECIFIED;
  record.extra["tls"]["upstream"] = upstream_json(upstream.ssl(), peer.get(), verify);
  if (!decided) {
    if (peer && co_await decide_late(flow, certificate_hosts(peer.get()))) co_return;
    if (!peer && co_await decide_late(flow, {})) co_return;
    record.action = FlowAction::intercept;
    if (shared.bypass && shared.bypass->contains(bypass_host(flow), record.client.ip)) {
      co_await tunnel_fresh(flow, EndReason::learned_bypass);
      co_return;
    }
  }
  if (verify != X509_V_OK) {
    record.end_error = "upstream certificate: " + tls::verify_error_text(verify);
    if (config.upstream_cert_error == UpstreamCertError::reject) {
      close_socket(flow.upstream);
      record.action = FlowAction::reject;
      record.set_reason(EndReason::upstream_cert_invalid);
      refuse_with_alert(flow, alert_bad_certificate);
      co_return;
    }
    co_await tunnel_fresh(flow, EndReason::upstream_cert_invalid);
    co_return;
  }

  // 3. Forge (or reuse) the leaf and finish the client's handshake with it.
  bool cache_hit = false;
  const auto leaf = shared.tls->leaf_for(
      tls::ForgeRequest{peer.get(), flow.hello.sni, flow.hello.sni ? std::nullopt : std::optional(server_ip)},
      &cache_hit);
  record.extra["tls"]["forged"] = {{"cache", cache_hit ? "hit" : "miss"}};
  tls::ClientSideState state;
  state.alpn = selected_alpn(upstream.ssl());
  tls::TlsStream client(flow.client, shared.tls->new_client_ssl(leaf.get(), &state));
  const auto client_done = co_await with_timeout(client.handshake(), config.peek_timeout);
  if (!client_done || client_done->status != tls::IoStatus::ok) {
    record.end_by = EndBy::client;
    record.end_error = client_done ? client_done->error : "client handshake timed out";
    if (state.alert_received && is_certificate_rejection(*state.alert_received)) {
      learn_rejection(flow, "TLS alert " + std::to_string(*state.alert_received) + " during the handshake");
    } else {
      record.set_reason(EndReason::client_handshake_failed);
    }
    upstream.shutdown_write();
    co_return;
  }
  record.extra["tls"]["client"]["negotiated"] = {
      {"version", protocol_name(client.ssl())},
      {"cipher", SSL_get_cipher_name(client.ssl())},
      {"alpn", state.alpn ? nlohmann::ordered_json(*state.alpn) : nlohmann::ordered_json(nullptr)},
      {"resumed", SSL_session_reused(client.ssl()) == 1}};
  const auto handshake_done = steady_clock::now();
  flow.control.touch();

  // 4. Relay the plaintext both ways.
  const auto tap = HttpTap::for_tls(shared, record, state.alpn.value_or("http/1.1"));
  const BridgeOutcome outcome = co_await tls_bridge(client, upstream, record, flow.control, tap.get());
  if (tap) tap->finish();
  record.end_by = outcome.first_end;
  record.end_error = outcome.error;
  const bool silent_client = outcome.first_end == EndBy::client && record.from_client == 0;
  if (silent_client && (state.alert_received || outcome.first_end_at - handshake_done < silent_rejection_window)) {
    learn_rejection(flow, state.alert_received
                              ? "TLS alert " + std::to_string(*state.alert_received) + " after the handshake"
                              : "closed right after the handshake without sending data");
  }
}

}  // namespace tlsgate

#include "gateway/flow/intercept.hpp"

#include <algorithm>
#include <array>

#include "gateway/flow/flow_watch.hpp"
#include "gateway/flow/relay_taps.hpp"
#include "gateway/flow/upstream_connect.hpp"
#include "gateway/flow/relay/bridge.hpp"
#include "gateway/flow/request_policy.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/tls/alerts.hpp"
#include "gateway/tls/forge.hpp"
#include "gateway/tls/tls_stream.hpp"
#include "gateway/tls/trust_store.hpp"

namespace tlsgate {
namespace {

using std::chrono::steady_clock;
using Upstream = UpstreamFacts::State;

// Protocols whose plaintext the observers understand; others are tunnelled.
constexpr std::array<std::string_view, 2> observable_protocols{"h2", "http/1.1"};

bool observable(std::string_view protocol) {
  return std::find(observable_protocols.begin(), observable_protocols.end(), protocol) != observable_protocols.end();
}

std::optional<std::string> selected_alpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  if (len == 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(data), len);
}

// The names are OpenSSL's static strings (the protocol table, the cipher table).
NegotiatedTls negotiated(SSL* ssl) {
  return NegotiatedTls{SSL_get_version(ssl), SSL_get_cipher_name(ssl), selected_alpn(ssl), SSL_session_reused(ssl) == 1};
}

UpstreamTls upstream_tls(SSL* ssl, X509* peer, long verify) {
  UpstreamTls up;
  up.negotiated = negotiated(ssl);
  up.verify = verify == X509_V_OK ? std::string("ok") : tls::verify_error_text(verify);
  if (peer) up.certificate = tls::up_ref(peer);
  return up;
}

// The certificate's DNS names and CN; nullopt past max_names (too many to forge for).
std::optional<std::vector<std::string>> certificate_names(X509* cert, std::size_t max_names) {
  tls::CertNames names = tls::names_of(cert, max_names);
  if (names.capped) return std::nullopt;
  std::vector<std::string> hosts = std::move(names.dns_names);
  if (names.common_name) hosts.push_back(*names.common_name);
  return hosts;
}

// How the client treated the forged certificate, for the learned bypass.
// Returns true when this flow's evidence made the table learn (or renew) an entry.
bool report_rejection(FlowContext& flow, const FlowFacts& facts, policy::Evidence evidence, std::string why) {
  // Weak evidence is what spare browser connections look like: it says nothing about the CA.
  if (evidence == policy::Evidence::strong) flow.shared.client_ca.record_failing(flow.record.client.ip);
  auto& bypass = flow.shared.bypass;
  if (!bypass) return false;
  // A host its rule keeps inspected is never learned: the evidence is dropped.
  const auto& rule = flow.record.verdict.rule;
  if (rule && !rule->learn_bypass) return false;
  return bypass->record_rejection(bypass_host(flow.record, facts.sni), flow.record.client.ip, evidence,
                                  std::move(why));
}

void report_success(FlowContext& flow, const FlowFacts& facts) {
  flow.shared.client_ca.record_working(flow.record.client.ip);
  if (flow.shared.bypass) flow.shared.bypass->record_success(bypass_host(flow.record, facts.sni), flow.record.client.ip);
}

FlowEnd rejected_certificate(std::string error) {
  return FlowEnd{EndBy::client, std::move(error), EndReason::client_rejected_certificate};
}

}  // namespace

void UpstreamLeg::release(FlowRecord& record) {
  stream.reset();  // before the key: the SSL refers to it until it is freed
  certificate.reset();
  session_key.reset();
  summarize_certificate(record);  // the record no longer borrows a certificate the SSL held
}

awaitable<UpstreamLeg> look_upstream(FlowContext& flow, FlowFacts& facts) {
  const Config& config = flow.shared.config;
  FlowRecord& record = flow.record;
  UpstreamLeg leg;
  flow.control.enter(FlowPhase::connect, config.connect_timeout);
  const ConnectResult connected =
      co_await connect_upstream(flow.upstream, record.server, config.connect_timeout, config.upstream_mark);
  if (!connected.connected) {
    facts.upstream.state = Upstream::unreachable;
    facts.upstream.connect_failure = connected.failure;
    facts.upstream.error = connected.error;
    co_return leg;
  }
  const std::string server_ip = record.server.ip.to_string();
  leg.session_key = std::make_unique<const std::string>(facts.sni.value_or("") + '|' + server_ip + ':' +
                                                        std::to_string(record.server.port));
  // Uploads are scanned in HTTP/1 requests only: where the rule known so far scans them, h2 is
  // not offered upstream, so both legs speak HTTP/1.1 (the client gets the upstream's choice).
  std::vector<std::string> alpn = facts.alpn;
  const auto& rule = record.verdict.rule;
  if (rule && rule->scan && rule->scan->reqmod) std::erase(alpn, "h2");
  auto stream = std::make_unique<tls::TlsStream>(
      flow.upstream, flow.shared.tls->new_upstream_ssl(facts.sni, server_ip, *leg.session_key, alpn));
  flow.control.enter(FlowPhase::upstream_handshake, config.connect_timeout);
  const auto done = co_await with_timeout(stream->handshake(), config.connect_timeout);
  if (!done || done->status != tls::IoStatus::ok) {
    record.upstream_tls = UpstreamTls{};
    record.upstream_tls->error = done ? done->error : "handshake timed out";
    facts.upstream.state = Upstream::handshake_failed;
    co_return leg;
  }
  flow.control.touch();
  // Verify; the decision never forges a trusted certificate for an upstream that fails.
  leg.certificate.reset(SSL_get1_peer_certificate(stream->ssl()));
  const long verify = leg.certificate ? SSL_get_verify_result(stream->ssl()) : X509_V_ERR_UNSPECIFIED;
  record.upstream_tls = upstream_tls(stream->ssl(), leg.certificate.get(), verify);
  facts.upstream.state = Upstream::certificate;
  facts.upstream.verified = verify == X509_V_OK;
  const auto chosen = selected_alpn(stream->ssl());
  facts.upstream.alpn_observable = !chosen || observable(*chosen);
  if (leg.certificate) {
    auto names = certificate_names(leg.certificate.get(), config.max_certificate_names);
    if (names) {
      facts.upstream.names = std::move(*names);
    } else {  // treated as unverifiable: never forged for, the client sees the real one (or nothing)
      facts.upstream.verified = false;
      record.upstream_tls->verify = tls::too_many_names_text(config.max_certificate_names);
    }
  }
  leg.stream = std::move(stream);
  co_return leg;
}

awaitable<FlowEnd> intercept(FlowContext& flow, const FlowFacts& facts, UpstreamLeg& upstream) {
  SharedState& shared = flow.shared;
  FlowRecord& record = flow.record;
  const std::string server_ip = record.server.ip.to_string();
  bool cache_hit = false;
  const auto leaf = shared.tls->leaf_for(
      tls::ForgeRequest{upstream.certificate.get(), facts.sni, facts.sni ? std::nullopt : std::optional(server_ip),
                        shared.config.max_certificate_names},
      &cache_hit);
  record.forged_cache_hit = cache_hit;
  tls::ClientSideState state;
  state.alpn = selected_alpn(upstream.stream->ssl());
  tls::TlsStream client(flow.client, shared.tls->new_client_ssl(leaf.get(), &state));
  flow.control.enter(FlowPhase::client_handshake, shared.config.peek_timeout);
  const auto done = co_await with_timeout(client.handshake(), shared.config.peek_timeout);
  if (!done || done->status != tls::IoStatus::ok) {
    upstream.stream->shutdown_write();
    const std::string error = done ? done->error : "client handshake timed out";
    // Evidence of rejection: a certificate alert, or leaving before its Finished.
    if (state.alert_received && tls::is_certificate_rejection(*state.alert_received)) {
      report_rejection(flow, facts, policy::Evidence::strong,
                       "TLS alert " + std::to_string(*state.alert_received) + " during the handshake");
      co_return rejected_certificate(error);
    }
    if (done && done->peer_gone) {
      report_rejection(flow, facts, policy::Evidence::strong, "closed the connection before its Finished");
      co_return rejected_certificate(error);
    }
    co_return FlowEnd{EndBy::client, error, EndReason::client_handshake_failed};
  }
  record.client_tls = NegotiatedTls{SSL_get_version(client.ssl()), SSL_get_cipher_name(client.ssl()), state.alpn,
                                    SSL_session_reused(client.ssl()) == 1};
  flow.control.touch();

  RelayTaps taps(shared, record, state.alpn);
  taps.scan_responses(shared, record, state.alpn, flow.client.get_executor());
  taps.scan_requests(shared, record, state.alpn, flow.client.get_executor());
  // Where a host rule could refuse a request, each request answers to the policy before it moves.
  std::unique_ptr<RequestPolicy> requests;
  std::unique_ptr<http::RequestGate> gate;
  std::optional<GateLink> link;
  if (RequestPolicy::needed(shared, facts)) {
    requests = std::make_unique<RequestPolicy>(shared, record, facts, RequestPath::intercepted_tls);
    gate = requests->make_gate(state.alpn);
    taps.show_header_rules(requests->header_rules());
    link.emplace(*gate, [&requests](const std::string& error) { requests->parse_failed(error); });
  }
  const RelayEnd relayed = co_await bridge(client, *upstream.stream, record, flow.control, taps.tap(),
                                           link ? &*link : nullptr, taps.scanner(), taps.request_scanner());
  taps.finish(relayed.error.has_value(), relayed.first_end == EndBy::client);
  if (requests) requests->add_to_summary();
  FlowEnd end{relayed.first_end, relayed.error, relayed.cause};
  if (state.alert_received && tls::is_certificate_rejection(*state.alert_received)) {
    report_rejection(flow, facts, policy::Evidence::strong,
                     "TLS alert " + std::to_string(*state.alert_received) + " after the handshake");
    end.cause = EndReason::client_rejected_certificate;
  } else if (record.from_client > 0) {
    report_success(flow, facts);
  } else if (relayed.first_end == EndBy::client) {
    // A completed handshake closed without a byte is what browsers do with spare
    // connections: weak evidence, which counts only when repeated.
    if (report_rejection(flow, facts, policy::Evidence::weak, "closed after the handshake without sending data"))
      end.cause = EndReason::client_rejected_certificate;
  }
  co_return end;
}

std::vector<std::string> observable_alpn(const tls::ClientHello& hello) {
  std::vector<std::string> offer;
  for (const auto& p : hello.alpn) {
    if (observable(p)) offer.push_back(p);
  }
  return offer;
}

std::string bypass_host(const FlowRecord& record, const std::optional<std::string>& sni) {
  return sni ? *sni : record.server.ip.to_string();
}

}  // namespace tlsgate

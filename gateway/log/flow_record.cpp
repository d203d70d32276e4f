#include "gateway/log/flow_record.hpp"

#include "gateway/tls/trust_store.hpp"

namespace tlsgate {

std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::not_redirected: return "not_redirected";
    case EndReason::no_original_destination: return "no_original_destination";
    case EndReason::forbidden_destination: return "forbidden_destination";
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
    case EndReason::unidentified: return "unidentified";
    case EndReason::client_rejected_certificate: return "client_rejected_certificate";
    case EndReason::client_handshake_failed: return "client_handshake_failed";
    case EndReason::phase_timeout: return "phase_timeout";
    case EndReason::request_blocked: return "request_blocked";
    case EndReason::content_blocked: return "content_blocked";
    case EndReason::policy_reload: return "policy_reload";
    case EndReason::internal_error: return "internal_error";
  }
  return "internal_error";
}

std::string reason_text(const FlowReason& reason) {
  if (const auto* r = std::get_if<EndReason>(&reason)) return std::string(to_string(*r));
  return "client_hello_" + std::string(tls::to_string(std::get<tls::ClientHelloError>(reason)));
}

std::string line_reason(const FlowRecord& record) {
  if (record.end.cause) return std::string(to_string(*record.end.cause));
  return reason_text(record.verdict.reason);
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

void summarize_certificate(FlowRecord& record) {
  auto& up = record.upstream_tls;
  if (!up || !up->certificate) return;
  up->certificate_summary = tls::certificate_summary(up->certificate.get());
  up->certificate.reset();
}

}  // namespace tlsgate

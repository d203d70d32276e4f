#include "gateway/flow/tls_port.hpp"

#include <sys/socket.h>

#include <array>
#include <vector>

#include "gateway/flow/steps.hpp"
#include "gateway/flow/intercept.hpp"
#include "gateway/flow/peek.hpp"
#include "gateway/shared_state.hpp"
#include "gateway/tls/fingerprint.hpp"
#include "gateway/flow/control.hpp"

namespace tlsgate {
namespace {

std::string version_name(std::uint16_t v) {
  switch (v) {
    case 0x0304: return "TLSv1.3";
    case 0x0303: return "TLSv1.2";
    case 0x0302: return "TLSv1.1";
    case 0x0301: return "TLSv1.0";
    case 0x0300: return "SSLv3";
    default: {
      char text[8];
      std::snprintf(text, sizeof text, "0x%04x", v);
      return text;
    }
  }
}

void describe_hello(FlowRecord& record, const tls::ClientHello& hello) {
  record.proto = "tls";
  record.extra["sni"] = hello.sni ? nlohmann::ordered_json(*hello.sni) : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json client;
  client["version"] = version_name(hello.max_version());
  client["alpn"] = hello.alpn;
  client["ja3"] = tls::ja3(hello);
  client["ja4"] = tls::ja4(hello);
  client["ech"] = hello.ech_offered;
  record.extra["tls"] = {{"client", std::move(client)}};
}

}  // namespace

void record_decision(FlowRecord& record, const policy::Decision& decision) {
  record.extra["policy"] = {{"rule", decision.rule}, {"action", policy::to_string(decision.action)}};
  record.set_reason(EndReason::policy);
  switch (decision.action) {
    case policy::Action::intercept: record.action = FlowAction::intercept; break;
    case policy::Action::tunnel: record.action = FlowAction::tunnel; break;
    case policy::Action::block: record.action = FlowAction::block; break;
  }
}

void refuse_with_alert(TlsFlow& flow, std::uint8_t alert) {
  const int fd = flow.client.native_handle();
  // Read what was only peeked: closing with unread data would send a reset
  // that can overtake the alert.
  std::vector<std::uint8_t> sink(flow.hello_bytes);
  std::size_t drained = 0;
  while (drained < sink.size()) {
    const ssize_t n = ::recv(fd, sink.data() + drained, sink.size() - drained, MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<std::size_t>(n);
  }
  const std::array<std::uint8_t, 7> record{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alert};  // fatal alert
  [[maybe_unused]] const ssize_t sent = ::send(fd, record.data(), record.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  flow.record.end_by = EndBy::error;
}

awaitable<void> tls_port_flow(SharedState& shared, tcp::socket& client, tcp::socket& upstream, FlowRecord& record,
                              FlowControl& control) {
  const Config& config = shared.config;
  const PeekResult peek = co_await peek_client_hello(client, config.peek_max_bytes, config.peek_timeout);
  switch (peek.kind) {
    case PeekResult::Kind::closed:
      record.set_reason(EndReason::client_closed_early);
      record.end_by = EndBy::client;
      record.end_error = peek.detail;
      co_return;
    case PeekResult::Kind::malformed:
      record.proto = "tls";
      record.action = FlowAction::reject;
      record.reason = "client_hello_" + peek.error;
      record.end_by = EndBy::error;
      record.end_error = peek.detail;
      co_return;
    case PeekResult::Kind::not_tls:
    case PeekResult::Kind::timeout:
      // Not a TLS client (or a server-speaks-first protocol): pass it on untouched.
      record.proto = "unknown";
      record.set_reason(peek.kind == PeekResult::Kind::not_tls ? EndReason::not_tls : EndReason::peek_timeout);
      co_await tunnel_to_destination(client, upstream, record, control, config.connect_timeout);
      co_return;
    case PeekResult::Kind::hello:
      break;
  }
  describe_hello(record, peek.hello);
  control.touch();

  TlsFlow flow{shared, client, upstream, record, control, peek.hello, peek.hello_bytes, shared.policy.load(), {}};
  if (peek.hello.sni) flow.query.hosts.push_back(*peek.hello.sni);
  record.extra["host"] = peek.hello.sni ? nlohmann::ordered_json(*peek.hello.sni) : nlohmann::ordered_json(nullptr);
  flow.query.client = record.client.ip;
  flow.query.server = record.server.ip;
  flow.query.port = record.server.port;

  // Without SNI the host is only known from the upstream certificate: decide there.
  if (!peek.hello.sni && flow.policy->host_can_matter(flow.query)) {
    co_await intercept_flow(flow, /*decided=*/false);
    co_return;
  }
  const policy::Decision decision = flow.policy->decide(flow.query);
  record_decision(record, decision);
  switch (decision.action) {
    case policy::Action::block:
      refuse_with_alert(flow, alert_access_denied);
      record.end_error = "blocked by policy rule " + decision.rule;
      co_return;
    case policy::Action::tunnel:
      co_await tunnel_to_destination(client, upstream, record, control, config.connect_timeout);
      co_return;
    case policy::Action::intercept:
      co_await intercept_flow(flow, /*decided=*/true);
      co_return;
  }
}

}  // namespace tlsgate

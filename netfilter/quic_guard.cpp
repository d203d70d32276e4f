#include "netfilter/quic_guard.hpp"

#include <algorithm>
#include <utility>

#include "gateway/tls/client_hello.hpp"

namespace tlsgate::netfilter {
namespace {

// RFC 8999 5.1: every long header starts with the form bit, a 32-bit version and the DCID.
struct LongHeader {
  std::uint32_t version = 0;
  std::span<const std::uint8_t> dcid;  // empty if it runs past the datagram
};

std::optional<LongHeader> long_header(std::span<const std::uint8_t> p) {
  if (p.size() < 5 || (p[0] & 0x80) == 0) return std::nullopt;
  LongHeader h;
  h.version = (std::uint32_t{p[1]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 8) | p[4];
  if (p.size() >= 6 && p[5] <= 20 && p.size() >= 6u + p[5]) h.dcid = p.subspan(6, p[5]);
  return h;
}

bool known_version(std::uint32_t v) {
  return v == static_cast<std::uint32_t>(QuicVersion::v1) || v == static_cast<std::uint32_t>(QuicVersion::v2);
}

bool same(std::span<const std::uint8_t> a, const std::vector<std::uint8_t>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::string reason_text(GuardReason reason) { return std::string(to_string(reason)); }

Verdict verdict_for(policy::Action action) {
  // Intercept drops too: the client falls back to TCP, where the gateway can inspect it.
  return action == policy::Action::tunnel ? Verdict::accept : Verdict::drop;
}

}  // namespace

std::string_view to_string(Verdict verdict) { return verdict == Verdict::accept ? "accept" : "drop"; }

std::string_view to_string(GuardReason reason) {
  switch (reason) {
    case GuardReason::policy: return "policy";
    case GuardReason::hold_timeout: return "hold_timeout";
    case GuardReason::hold_limit: return "hold_limit";
    case GuardReason::hold_table_full: return "hold_table_full";
    case GuardReason::unsupported_version: return "unsupported_version";
    case GuardReason::too_large: return "too_large";
  }
  return "policy";
}

QuicGuard::QuicGuard(GuardLimits limits) : limits_(limits) {}

void QuicGuard::count(GuardOutput& out, std::uint32_t packet_id, Verdict verdict) {
  out.verdicts.push_back({packet_id, verdict});
  ++(verdict == Verdict::accept ? counters_.accepted : counters_.dropped);
}

GuardOutput QuicGuard::feed(std::uint32_t packet_id, const Endpoint& client, const Endpoint& server,
                            std::span<const std::uint8_t> payload, const policy::Policy& policy,
                            Clock::time_point now) {
  const FlowKey flow{client, server};
  const auto header = long_header(payload);
  GuardOutput out;

  if (auto it = decided_.find(flow); it != decided_.end()) {
    if (now - it->second.last_used >= limits_.decided_ttl) {
      lru_.erase(it->second.lru);
      decided_.erase(it);
    } else {
      // An Initial for another DCID that decrypts with its own keys is a new connection (or the
      // one after a Retry): decide it afresh. Anything else follows the decision.
      if (header && looks_like_quic_initial(payload) && !same(header->dcid, it->second.dcid)) {
        auto decoded = decode_client_datagram(payload);
        if (!decoded.initials.empty()) return on_initials(packet_id, flow, payload.size(), decoded, policy, now);
      }
      it->second.last_used = now;
      lru_.splice(lru_.end(), lru_, it->second.lru);
      count(out, packet_id, it->second.verdict);
      return out;
    }
  }

  // Short headers, Handshake and 0-RTT packets of a connection not decided here carry nothing
  // the server can use without the Initial, which is what the guard decides on.
  if (!header) {
    count(out, packet_id, Verdict::accept);
    return out;
  }
  if (!known_version(header->version))
    return decide_now(packet_id, flow, header->dcid, header->version, reason_text(GuardReason::unsupported_version), now);
  if (!looks_like_quic_initial(payload)) {
    count(out, packet_id, Verdict::accept);
    return out;
  }
  const auto decoded = decode_client_datagram(payload);
  if (!decoded.initials.empty()) return on_initials(packet_id, flow, payload.size(), decoded, policy, now);

  const std::string reason(to_string(decoded.error.value_or(QuicError::truncated)));
  const PendingKey key{flow, {header->dcid.begin(), header->dcid.end()}};
  if (auto it = pending_.find(key); it != pending_.end()) {
    auto node = pending_.extract(it);
    node.mapped().packet_ids.push_back(packet_id);
    QuicRecord record{client, server, header->version, {}, {}, limits_.unparseable, {}, 1, reason};
    return finish(key, std::move(node.mapped()), std::move(record), now);
  }
  return decide_now(packet_id, flow, header->dcid, header->version, reason, now);
}

GuardOutput QuicGuard::on_initials(std::uint32_t packet_id, const FlowKey& flow, std::size_t bytes,
                                   const DatagramResult& decoded, const policy::Policy& policy,
                                   Clock::time_point now) {
  const auto& first = decoded.initials.front();
  const auto version = static_cast<std::uint32_t>(first.version);
  PendingKey key{flow, first.dcid};
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    if (pending_.size() >= limits_.max_pending)
      return decide_now(packet_id, flow, first.dcid, version, reason_text(GuardReason::hold_table_full), now);
    Pending fresh;
    fresh.version = version;
    fresh.deadline = now + limits_.hold_time;
    it = pending_.emplace(key, std::move(fresh)).first;
  }
  Pending& p = it->second;
  p.packet_ids.push_back(packet_id);
  p.bytes += bytes;
  for (const auto& initial : decoded.initials)
    for (const auto& frame : initial.crypto) p.crypto.add(frame);

  QuicRecord record{flow.client, flow.server, version, {}, {}, limits_.unparseable, {}, 1, ""};
  switch (p.crypto.state()) {
    case CryptoReassembly::State::complete:
      record = decide_hello(flow, version, p.crypto, policy);
      break;
    case CryptoReassembly::State::too_large:
      record.reason = reason_text(GuardReason::too_large);
      break;
    case CryptoReassembly::State::incomplete:
      if (p.packet_ids.size() > limits_.hold_packets || p.bytes > limits_.hold_bytes) {
        record.reason = reason_text(GuardReason::hold_limit);
        break;
      }
      ++counters_.held;
      return {};
  }
  auto node = pending_.extract(it);
  return finish(key, std::move(node.mapped()), std::move(record), now);
}

QuicRecord QuicGuard::decide_hello(const FlowKey& flow, std::uint32_t version, const CryptoReassembly& crypto,
                                   const policy::Policy& policy) const {
  QuicRecord record{flow.client, flow.server, version, {}, {}, limits_.unparseable, {}, 1, ""};
  const auto parsed = tls::parse_client_hello_message(crypto.client_hello());
  if (!parsed.is_complete()) {
    // Complete reassembly means the whole message is here, so need_more is a lying length too.
    record.reason = tls::to_string(parsed.is_error() ? parsed.error : tls::ClientHelloError::bad_length);
    return record;
  }
  record.sni = parsed.value.sni;
  record.alpn = parsed.value.alpn;
  policy::Query query;
  if (record.sni) query.hosts.push_back(*record.sni);
  query.client = flow.client.ip.unmapped();
  query.server = flow.server.ip.unmapped();
  query.port = flow.server.port;
  record.decision = policy.match(query);
  record.verdict = verdict_for(record.decision->action);
  // A tunnelled host whose requests a request rule could decide is intercepted on TCP: no QUIC around it.
  if (policy.requests_can_matter(query, *record.decision)) record.verdict = Verdict::drop;
  record.reason = reason_text(GuardReason::policy);
  return record;
}

GuardOutput QuicGuard::finish(const PendingKey& key, Pending&& pending, QuicRecord record, Clock::time_point now) {
  GuardOutput out;
  record.packets_held = pending.packet_ids.size();
  for (auto id : pending.packet_ids) count(out, id, record.verdict);
  ++(record.decision ? counters_.decided : counters_.unparseable);
  remember(key.flow, record.verdict, key.dcid, now);
  out.records.push_back(std::move(record));
  return out;
}

GuardOutput QuicGuard::decide_now(std::uint32_t packet_id, const FlowKey& flow, std::span<const std::uint8_t> dcid,
                                  std::optional<std::uint32_t> version, std::string reason, Clock::time_point now) {
  GuardOutput out;
  count(out, packet_id, limits_.unparseable);
  ++counters_.unparseable;
  remember(flow, limits_.unparseable, {dcid.begin(), dcid.end()}, now);
  out.records.push_back({flow.client, flow.server, version, {}, {}, limits_.unparseable, {}, 1, std::move(reason)});
  return out;
}

void QuicGuard::remember(const FlowKey& flow, Verdict verdict, std::vector<std::uint8_t> dcid, Clock::time_point now) {
  if (auto it = decided_.find(flow); it != decided_.end()) {
    lru_.erase(it->second.lru);
    decided_.erase(it);
  }
  if (limits_.max_decided == 0) return;
  if (decided_.size() >= limits_.max_decided) {
    decided_.erase(lru_.front());
    lru_.pop_front();
  }
  lru_.push_back(flow);
  decided_.emplace(flow, Decided{verdict, std::move(dcid), now, std::prev(lru_.end())});
}

GuardOutput QuicGuard::expire(Clock::time_point now) {
  GuardOutput out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    const PendingKey key = it->first;
    auto node = pending_.extract(it++);
    QuicRecord record{key.flow.client, key.flow.server, node.mapped().version, {}, {},
                      limits_.unparseable, {}, 1, reason_text(GuardReason::hold_timeout)};
    auto done = finish(key, std::move(node.mapped()), std::move(record), now);
    out.verdicts.insert(out.verdicts.end(), done.verdicts.begin(), done.verdicts.end());
    out.records.insert(out.records.end(), std::make_move_iterator(done.records.begin()),
                       std::make_move_iterator(done.records.end()));
  }
  while (!lru_.empty()) {
    auto it = decided_.find(lru_.front());
    if (now - it->second.last_used < limits_.decided_ttl) break;
    decided_.erase(it);
    lru_.pop_front();
  }
  return out;
}

}  // namespace tlsgate::netfilter

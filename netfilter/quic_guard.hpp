#pragma once
// The QUIC guard's decision engine: pure (no I/O, no clock: time is passed in). It sees the
// client->server UDP 443 datagrams of forwarded traffic, one NFQUEUE packet id each, and
// answers with verdicts. A client Initial is decrypted (netfilter/quic_initial), its CRYPTO
// frames reassembled across packets (netfilter/crypto_reassembly), and the ClientHello parsed
// (tls/client_hello) for SNI and ALPN; the policy then decides: intercept -> drop (the client
// falls back to TCP, where it is inspected), tunnel -> accept, block -> drop.
//
// Every packet id fed gets exactly one verdict: at once, or (while its connection's ClientHello
// is incomplete) later from feed() or expire(). Not thread-safe; one instance per queue thread.
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/ip_address.hpp"
#include "gateway/policy/policy.hpp"
#include "netfilter/crypto_reassembly.hpp"
#include "netfilter/quic_initial.hpp"

namespace tlsgate::netfilter {

enum class Verdict { accept, drop };
std::string_view to_string(Verdict verdict);

// Why the guard gave a connection its verdict: the policy, or why the `unparseable`
// default applied. The parsers' own errors (QuicError, tls::ClientHelloError) are
// reasons too, under their own names.
enum class GuardReason {
  policy,               // the policy decided
  hold_timeout,         // the ClientHello was still incomplete after hold_time
  hold_limit,           // more than hold_packets packets or hold_bytes bytes held
  hold_table_full,      // max_pending connections were waiting already
  unsupported_version,  // a long header with a version other than 1 and 2
  too_large,            // the reassembled CRYPTO data outgrew its limit
};
std::string_view to_string(GuardReason reason);

struct GuardLimits {
  std::size_t hold_packets = 8;          // packets held per connection while its hello is incomplete
  std::size_t hold_bytes = 64 * 1024;    // UDP payload bytes held per connection
  std::chrono::milliseconds hold_time{1000};  // from a connection's first held packet
  std::size_t max_pending = 4096;        // connections with held packets
  std::size_t max_decided = 65536;       // remembered decisions (least recently used evicted)
  std::chrono::seconds decided_ttl{60};  // a decision is forgotten after this long unused
  Verdict unparseable = Verdict::drop;   // for Initials that cannot be decided by the policy
};

struct PacketVerdict {
  std::uint32_t packet_id;
  Verdict verdict;
  auto operator<=>(const PacketVerdict&) const = default;
};

// One decided QUIC connection: the facts of its `"event":"quic"` line (netfilter/quic_event).
struct QuicRecord {
  Endpoint client;
  Endpoint server;
  std::optional<std::uint32_t> version;  // the wire version; none if the header was unreadable
  std::optional<std::string> sni;
  std::vector<std::string> alpn;
  Verdict verdict = Verdict::drop;
  std::optional<policy::Decision> decision;  // set when the policy decided
  std::size_t packets_held = 1;              // packets that got this verdict when it was made
  std::string reason;  // to_string(GuardReason), or a parser error's name (decrypt_failed, bad_sni...)
};

struct GuardOutput {
  std::vector<PacketVerdict> verdicts;  // to issue now, in any order
  std::vector<QuicRecord> records;      // connections decided by this call
};

struct GuardCounters {
  std::uint64_t accepted = 0;     // packets
  std::uint64_t dropped = 0;      // packets
  std::uint64_t held = 0;         // packets whose verdict waited for more of the ClientHello
  std::uint64_t unparseable = 0;  // connections given the unparseable default
  std::uint64_t decided = 0;      // connections decided by the policy
};

class QuicGuard {
 public:
  using Clock = std::chrono::steady_clock;

  explicit QuicGuard(GuardLimits limits = {});

  // One client->server UDP datagram (`payload`: the UDP payload). `policy` is the snapshot in
  // force; it is used only during the call. Packets of a decided connection follow its decision
  // without re-parsing; other packets that are not client Initials are accepted.
  GuardOutput feed(std::uint32_t packet_id, const Endpoint& client, const Endpoint& server,
                   std::span<const std::uint8_t> payload, const policy::Policy& policy, Clock::time_point now);

  // Gives the unparseable default to connections held past hold_time, and forgets decisions
  // unused for decided_ttl. Call it periodically (e.g. every 100 ms).
  GuardOutput expire(Clock::time_point now);

  const GuardCounters& counters() const { return counters_; }
  std::size_t pending_connections() const { return pending_.size(); }
  std::size_t decided_connections() const { return decided_.size(); }

 private:
  struct FlowKey {
    Endpoint client;
    Endpoint server;
    auto operator<=>(const FlowKey&) const = default;
  };
  struct PendingKey {
    FlowKey flow;
    std::vector<std::uint8_t> dcid;
    auto operator<=>(const PendingKey&) const = default;
  };
  struct Pending {
    std::uint32_t version = 0;
    std::vector<std::uint32_t> packet_ids;
    std::size_t bytes = 0;
    Clock::time_point deadline;
    CryptoReassembly crypto;
  };
  struct Decided {
    Verdict verdict;
    std::vector<std::uint8_t> dcid;  // the DCID the decision was made for
    Clock::time_point last_used;
    std::list<FlowKey>::iterator lru;
  };

  GuardOutput finish(const PendingKey& key, Pending&& pending, QuicRecord record, Clock::time_point now);
  GuardOutput decide_now(std::uint32_t packet_id, const FlowKey& flow, std::span<const std::uint8_t> dcid,
                         std::optional<std::uint32_t> version, std::string reason, Clock::time_point now);
  GuardOutput on_initials(std::uint32_t packet_id, const FlowKey& flow, std::size_t bytes,
                          const DatagramResult& decoded, const policy::Policy& policy, Clock::time_point now);
  QuicRecord decide_hello(const FlowKey& flow, std::uint32_t version, const CryptoReassembly& crypto,
                          const policy::Policy& policy) const;
  void remember(const FlowKey& flow, Verdict verdict, std::vector<std::uint8_t> dcid, Clock::time_point now);
  void count(GuardOutput& out, std::uint32_t packet_id, Verdict verdict);

  GuardLimits limits_;
  std::map<PendingKey, Pending> pending_;
  std::map<FlowKey, Decided> decided_;
  std::list<FlowKey> lru_;  // decided_ keys, least recently used first
  GuardCounters counters_;
};

}  // namespace tlsgate::netfilter

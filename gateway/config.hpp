#pragma once
// The daemon's configuration: a JSON file -> Config. Every field has a
// documented default (docs/configuration.md); unknown keys and bad values are
// rejected with a ConfigError naming the key.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/capture_config.hpp"
#include "gateway/ip_address.hpp"

namespace tlsgate {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How the kernel hands connections over (scripts/rules.sh --mode).
enum class RedirectMode { redirect, tproxy };

struct ListenerConfig {
  RedirectMode mode = RedirectMode::redirect;
  IpAddress address = *IpAddress::parse("::");  // "::" accepts IPv4 and IPv6
  std::uint16_t port = 15001;
};

enum class DefaultAction { intercept, tunnel };
enum class UpstreamCertError { tunnel, reject };
// unidentified: what a TLS-port flow whose host was never proven gets when a host rule could matter.
enum class UnidentifiedFlow { reset, tunnel };

// flow_log_format: tlsgate's own JSON lines, or Suricata EVE names and shapes.
enum class FlowLogFormat { tlsgate, eve };

enum class QuicUnparseable { drop, accept };

// The QUIC guard (netfilter/quic_guard): UDP 443 from the LAN arrives on an NFQUEUE.
struct QuicGuardConfig {
  bool enabled = false;
  std::uint16_t queue = 0;
  bool fail_closed = false;  // no NFQA_CFG_F_FAIL_OPEN: a full queue drops instead of accepting
  QuicUnparseable unparseable = QuicUnparseable::drop;
  std::size_t hold_packets = 8;
  std::size_t hold_bytes = 64 * 1024;
  std::chrono::milliseconds hold_time{1000};
  std::size_t decided_entries = 65536;
  std::chrono::seconds decided_ttl{60};
};

// The ICAP clients of content scanning (policy rules' `scan`); one pool per service and worker thread.
struct IcapClientConfig {
  unsigned max_connections = 4;  // per service and worker thread; the service's Max-Connections lowers it
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds scan_timeout{30000};  // one whole scan, waiting for a connection included
  std::size_t max_preview_bytes = 64 * 1024;      // caps the Preview a service asks for
};

struct Config {
  std::vector<ListenerConfig> listeners{ListenerConfig{}};
  unsigned workers = 0;  // 0: one per core
  std::string flow_log = "stdout";
  std::size_t log_queue_lines = 65536;
  std::size_t log_queue_bytes = 32u << 20;  // bounds the queue in bytes too (an http line can be 100 KB)
  // Abuse bounds (docs/robustness.md); 0 means no limit.
  std::size_t max_flows = 16384;
  std::size_t max_flows_per_client = 1024;
  // A client is its address, or for IPv6 its prefix of this length (max_flows_per_client,
  // learned_bypass_max_per_client): cycling addresses in one /64 does not make more clients.
  unsigned client_ipv6_prefix = 64;
  FlowLogFormat flow_log_format = FlowLogFormat::tlsgate;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::seconds idle_timeout{300};
  std::chrono::seconds shutdown_grace{10};
  std::chrono::milliseconds peek_timeout{5000};
  std::size_t peek_max_bytes = 64 * 1024;
  std::vector<std::uint16_t> tls_ports{443, 8443};
  std::vector<std::uint16_t> http_ports{80};
  // Original destinations never reached through the gateway (it re-originates
  // every flow, so the router's forward rules do not see them). The gateway's
  // own addresses are always refused besides these (not_redirected).
  std::vector<std::string> forbidden_destinations{"127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10"};
  // SO_MARK on every upstream socket, for the operator's output filter; 0: none.
  std::uint32_t upstream_mark = 0;
  // TLS interception
  DefaultAction default_action = DefaultAction::intercept;
  std::optional<std::string> policy_file;
  UpstreamCertError upstream_cert_error = UpstreamCertError::tunnel;
  UnidentifiedFlow unidentified = UnidentifiedFlow::reset;
  std::string state_dir = "/var/lib/tlsgate";
  std::optional<std::string> ca_cert;  // operator-supplied CA (both or neither)
  std::optional<std::string> ca_key;
  std::string ca_key_type = "ec";
  std::string leaf_key_type = "ec";
  std::optional<std::string> upstream_ca_file;
  std::size_t cert_cache_entries = 10000;
  std::size_t upstream_session_cache_entries = 10000;
  // An upstream certificate with more distinct SANs is not forged for (tls/forge.hpp).
  std::size_t max_certificate_names = 1000;
  std::optional<std::string> keylog_file;
  bool learned_bypass = true;
  std::chrono::seconds learned_bypass_ttl{24 * 3600};
  bool learned_bypass_all_clients = false;
  std::size_t learned_bypass_weak_threshold = 3;  // weak evidence learns only when repeated...
  std::chrono::seconds learned_bypass_weak_window{600};  // ...within this window, with no success
  std::size_t learned_bypass_max_per_client = 256;
  std::vector<std::string> learned_bypass_clients;  // prefixes of the clients that may teach; empty: all
  std::size_t learned_bypass_all_clients_min_clients = 2;  // distinct clients for an all-clients entry
  // `tlsgate bypass` reaches the running daemon here; nullopt: no control socket.
  std::optional<std::string> control_socket = "/run/tlsgate/control.sock";
  // HTTP inspection
  bool http_inspect = true;
  std::size_t http_max_header_bytes = 64 * 1024;
  std::size_t http_max_header_fields = 256;  // per message, trailers included
  std::size_t http_max_exchange_header_bytes = 256 * 1024;  // request + response header bytes
  std::size_t http_body_capture_bytes = 0;
  bool http_redact = true;
  QuicGuardConfig quic_guard;
  CaptureConfig pcap;  // decrypted traffic as pcap files and PCAP-over-IP
  IcapClientConfig icap;
  // Operations (daemon/startup, metrics): see docs/configuration.md.
  std::optional<std::string> user;          // started as root: run as this user once set up
  std::optional<Endpoint> metrics_listen;   // Prometheus /metrics and /health; off when unset
  std::size_t metrics_max_connections = 16;  // scrapers served at once; more are closed
  std::optional<Endpoint> portal_listen;    // CA onboarding page (gateway/portal); off when unset
  // Plain-HTTP requests of a client that rejected the forged certificate go to the portal (no onboard rule needed).
  bool portal_redirect_failing_clients = false;
  // The block page (docs/configuration.md): a line of the operator's text on
  // the built-in page, or an HTML file of the operator's that replaces it.
  std::string block_page_text;
  std::optional<std::string> block_page_file;
  std::string log_level = "info";           // error, warning, notice, info, debug

  bool is_tls_port(std::uint16_t port) const;
  bool is_http_port(std::uint16_t port) const;
  unsigned worker_threads() const;  // `workers`, or one per core when 0
};

// Parses JSON text; `source` names the file in error messages.
// Caps checked before parsing: a config is small; anything bigger or deeper
// is a mistake or an attack on the parser.
constexpr std::size_t max_config_file_bytes = 1u << 20;
constexpr std::size_t max_config_depth = 16;
constexpr std::size_t max_block_page_text_bytes = 512;

Config parse_config(const std::string& json_text, const std::string& source);
Config load_config_file(const std::string& path);
// "127.0.0.1:9101" or "[::1]:9101" (metrics_listen); nullopt when malformed.
std::optional<Endpoint> parse_host_port(std::string_view text);

}  // namespace tlsgate

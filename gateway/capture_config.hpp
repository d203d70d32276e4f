#pragma once
// The `pcap` config object (docs/configuration.md): decrypted traffic as pcap
// files and PCAP-over-IP.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "gateway/ip_address.hpp"

namespace tlsgate {

struct CaptureConfig {
  bool enabled = false;  // write rotated files into `directory`
  std::string directory = "/var/log/tlsgate/pcap";
  std::uint64_t rotate_bytes = 100ull << 20;
  std::chrono::seconds rotate_interval{3600};  // 0: by size only
  std::size_t files_kept = 24;                 // 0: keep every file
  bool capture_default = true;                 // flows whose policy rule says nothing
  std::uint16_t tls_port_map = 80;             // intercepted TLS shows this server port (0: the real one)
  std::uint16_t h2_port_map = 80;              // ... when the negotiated protocol is h2
  bool plain_http = false;                     // observed plain HTTP flows too
  std::size_t queue_bytes = 64u << 20;         // the writer may fall this far behind; then drops
  // PCAP-over-IP streams every client's decrypted traffic: readers must prove who they are.
  std::optional<std::string> pcap_over_ip_socket;  // unix socket, 0600, peers checked with SO_PEERCRED
  std::optional<Endpoint> pcap_over_ip_listen;     // TCP: only with allow_remote and a token
  bool pcap_over_ip_allow_remote = false;
  std::optional<std::string> pcap_over_ip_token;   // a TCP reader sends it first, then a newline
  std::size_t reader_buffer_bytes = 8u << 20;      // a PCAP-over-IP reader this far behind is dropped

  bool active() const { return enabled || pcap_over_ip_socket.has_value() || pcap_over_ip_listen.has_value(); }
};

}  // namespace tlsgate

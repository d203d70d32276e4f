#pragma once
// Synthetic TCP/IP packets for a relayed byte stream, so that packet tools
// (Wireshark, Zeek, Suricata) read decrypted traffic as an ordinary TCP
// connection: a three-way handshake, data segments of at most one MSS with
// consistent sequence and acknowledgement numbers both ways (RFC 9293), an
// acknowledgement from the receiver after each write, and FIN or RST at the
// end. IPv4 (RFC 791) or IPv6 (RFC 8200) headers with correct checksums.
// Pure: packets are appended as pcap records (pcap_format.hpp) to a buffer.
#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "gateway/ip_address.hpp"

namespace tlsgate::capture {

enum class Side { client, server };

constexpr std::size_t mss_v4 = 1460;  // 1500-byte MTU minus 20 (IPv4) and 20 (TCP)
constexpr std::size_t mss_v6 = 1440;  // minus 40 (IPv6) and 20 (TCP)

class TcpSynth {
 public:
  using Time = std::chrono::system_clock::time_point;

  // `client` and `server` as the packets should show them. Both IPv4 (IPv4-mapped
  // IPv6 addresses count as IPv4), or else both written as IPv6.
  TcpSynth(Endpoint client, Endpoint server, std::uint32_t client_isn, std::uint32_t server_isn);

  // SYN, SYN-ACK, ACK.
  void open(Time ts, std::vector<std::uint8_t>& out);
  // `bytes` sent by `from`, cut into segments of at most mss(); the other side
  // acknowledges them. An empty write appends nothing.
  void data(Side from, std::span<const std::uint8_t> bytes, Time ts, std::vector<std::uint8_t>& out);
  // `first` closes: FIN from it, FIN from the other, the last ACK; or, with
  // `reset`, one RST from `first`. Nothing more may follow.
  void close(Side first, bool reset, Time ts, std::vector<std::uint8_t>& out);

  std::uint32_t next_seq(Side side) const { return half(side).seq; }
  std::size_t mss() const { return v6_ ? mss_v6 : mss_v4; }
  bool ipv6() const { return v6_; }

 private:
  struct Half {
    std::array<std::uint8_t, 16> ip{};  // 4 bytes used for IPv4
    std::uint16_t port = 0;
    std::uint32_t seq = 0;     // the next sequence number this side sends
    std::uint16_t ip_id = 0;   // IPv4 identification, per sender
  };
  Half& half(Side s) { return s == Side::client ? client_ : server_; }
  const Half& half(Side s) const { return s == Side::client ? client_ : server_; }
  Half& other(Side s) { return s == Side::client ? server_ : client_; }

  // One packet from `from` with the current seq/ack; advances nothing.
  void packet(Side from, std::uint8_t flags, std::span<const std::uint8_t> payload, Time ts,
              std::vector<std::uint8_t>& out, bool mss_option = false);

  Half client_;
  Half server_;
  bool v6_ = false;
};

// The Internet checksum (RFC 1071) of `bytes` added to `sum`, not yet folded.
std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> bytes);
std::uint16_t checksum_fold(std::uint32_t sum);

}  // namespace tlsgate::capture

#pragma once
// Test helper: reads back the pcap records a TcpSynth wrote and checks them as
// a TCP receiver would (checksums, segment sizes, sequence and acknowledgement
// numbers), returning both reassembled byte streams or the first problem.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gateway/capture/tcp_synth.hpp"

namespace tlsgate::capture::testing {

struct StreamCheck {
  std::string error;  // empty when every packet was right
  std::vector<std::uint8_t> client_bytes, server_bytes;
  std::size_t packets = 0;
  bool syn = false, fin_client = false, fin_server = false, rst = false;
};

inline std::uint32_t get32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
inline std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// `records`: pcap records (no global header) of one connection; `client_port` tells the sides apart.
inline StreamCheck check_stream(std::span<const std::uint8_t> records, std::uint16_t client_port, std::size_t mss) {
  StreamCheck out;
  std::uint32_t next[2] = {0, 0};  // next expected seq: [0] client, [1] server
  bool seen_syn[2] = {false, false};
  std::size_t off = 0;
  auto fail = [&](const std::string& why) { out.error = "packet " + std::to_string(out.packets) + ": " + why; };
  while (off < records.size() && out.error.empty()) {
    if (records.size() - off < 16) return fail("truncated record header"), out;
    const std::uint8_t* h = records.data() + off;
    const std::uint32_t len = static_cast<std::uint32_t>(h[8] | h[9] << 8 | h[10] << 16 | h[11] << 24);
    if (records.size() - off - 16 < len) return fail("truncated packet"), out;
    const std::uint8_t* ip = h + 16;
    off += 16 + len;
    ++out.packets;
    const bool v6 = (ip[0] >> 4) == 6;
    const std::size_t ip_len = v6 ? 40 : 20;
    if (!v6 && checksum_fold(checksum_add(0, {ip, 20})) != 0) return fail("bad IPv4 checksum"), out;
    const std::size_t total = v6 ? 40 + get16(ip + 4) : get16(ip + 2);
    if (total != len) return fail("IP length does not match the record"), out;
    const std::uint8_t* tcp = ip + ip_len;
    const std::size_t tcp_len = len - ip_len;
    std::uint32_t sum = checksum_add(0, {ip + (v6 ? 8 : 12), v6 ? 32u : 8u});
    sum += 6 + static_cast<std::uint32_t>(tcp_len);
    if (checksum_fold(checksum_add(sum, {tcp, tcp_len})) != 0) return fail("bad TCP checksum"), out;
    const int side = get16(tcp) == client_port ? 0 : 1;
    const std::uint32_t seq = get32(tcp + 4), ack = get32(tcp + 8);
    const std::uint8_t flags = tcp[13];
    const std::size_t payload_len = tcp_len - (tcp[12] >> 4) * 4u;
    if (payload_len > mss) return fail("segment larger than the MSS"), out;
    if (flags & 0x02) {  // SYN
      seen_syn[side] = true;
      out.syn = true;
      next[side] = seq + 1;
      if (side == 1 && ack != next[0]) return fail("SYN-ACK acknowledges the wrong number"), out;
      continue;
    }
    if (!seen_syn[0] || !seen_syn[1]) return fail("data before the handshake"), out;
    if (seq != next[side]) return fail("sequence gap or overlap"), out;
    if ((flags & 0x10) && ack != next[1 - side]) return fail("acknowledges bytes not sent (or misses some)"), out;
    auto& stream = side == 0 ? out.client_bytes : out.server_bytes;
    stream.insert(stream.end(), tcp + (tcp[12] >> 4) * 4, tcp + tcp_len);
    next[side] += static_cast<std::uint32_t>(payload_len);
    if (flags & 0x01) {
      next[side] += 1;
      (side == 0 ? out.fin_client : out.fin_server) = true;
    }
    if (flags & 0x04) out.rst = true;
  }
  return out;
}

}  // namespace tlsgate::capture::testing

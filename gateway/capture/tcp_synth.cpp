#include "gateway/capture/tcp_synth.hpp"

#include <algorithm>
#include <array>

#include "gateway/capture/pcap_format.hpp"

namespace tlsgate::capture {
namespace {

constexpr std::uint8_t flag_fin = 0x01;
constexpr std::uint8_t flag_syn = 0x02;
constexpr std::uint8_t flag_rst = 0x04;
constexpr std::uint8_t flag_psh = 0x08;
constexpr std::uint8_t flag_ack = 0x10;
constexpr std::uint16_t window = 65535;   // no window scaling: stays below what one write can fill
constexpr std::size_t ack_every_segments = 16;  // a long write is acknowledged as it goes
constexpr std::uint8_t ip_proto_tcp = 6;
constexpr std::uint8_t ttl = 64;

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v & 0xff);
}

void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v & 0xffff));
}

// IPv4 stays 4 bytes; anything else is written as IPv6 (IPv4 as ::ffff:a.b.c.d).
std::array<std::uint8_t, 16> as_v6(const IpAddress& ip) {
  if (!ip.is_v4()) return ip.bytes;
  std::array<std::uint8_t, 16> out{};
  out[10] = out[11] = 0xff;
  std::copy_n(ip.bytes.begin(), 4, out.begin() + 12);
  return out;
}

}  // namespace

std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<std::uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i] << 8);  // odd byte, zero-padded
  return sum;
}

std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

TcpSynth::TcpSynth(Endpoint client, Endpoint server, std::uint32_t client_isn, std::uint32_t server_isn) {
  const IpAddress c = client.ip.unmapped();
  const IpAddress s = server.ip.unmapped();
  v6_ = !(c.is_v4() && s.is_v4());
  client_.ip = v6_ ? as_v6(c) : c.bytes;
  server_.ip = v6_ ? as_v6(s) : s.bytes;
  client_.port = client.port;
  server_.port = server.port;
  client_.seq = client_isn;
  server_.seq = server_isn;
}

void TcpSynth::open(Time ts, std::vector<std::uint8_t>& out) {
  // The ISNs are the SYNs' sequence numbers; each SYN takes one.
  packet(Side::client, flag_syn, {}, ts, out, true);
  client_.seq += 1;
  packet(Side::server, flag_syn | flag_ack, {}, ts, out, true);
  server_.seq += 1;
  packet(Side::client, flag_ack, {}, ts, out);
}

void TcpSynth::data(Side from, std::span<const std::uint8_t> bytes, Time ts, std::vector<std::uint8_t>& out) {
  const Side to = from == Side::client ? Side::server : Side::client;
  std::size_t segments = 0;
  for (std::size_t off = 0; off < bytes.size(); off += mss()) {
    const auto piece = bytes.subspan(off, std::min(mss(), bytes.size() - off));
    const bool last = off + piece.size() == bytes.size();
    packet(from, flag_ack | (last ? flag_psh : 0), piece, ts, out);
    half(from).seq += static_cast<std::uint32_t>(piece.size());
    if (!last && ++segments % ack_every_segments == 0) packet(to, flag_ack, {}, ts, out);
  }
  if (!bytes.empty()) packet(to, flag_ack, {}, ts, out);
}

void TcpSynth::close(Side first, bool reset, Time ts, std::vector<std::uint8_t>& out) {
  if (reset) {
    packet(first, flag_rst | flag_ack, {}, ts, out);
    return;
  }
  const Side second = first == Side::client ? Side::server : Side::client;
  packet(first, flag_fin | flag_ack, {}, ts, out);
  half(first).seq += 1;  // a FIN takes one sequence number
  packet(second, flag_fin | flag_ack, {}, ts, out);
  half(second).seq += 1;
  packet(first, flag_ack, {}, ts, out);
}

void TcpSynth::packet(Side from, std::uint8_t flags, std::span<const std::uint8_t> payload, Time ts,
                      std::vector<std::uint8_t>& out, bool mss_option) {
  Half& src = half(from);
  const Half& dst = other(from);
  const std::size_t ip_len = v6_ ? 40 : 20;
  const std::size_t tcp_len = (mss_option ? 24 : 20) + payload.size();
  const std::size_t total = ip_len + tcp_len;
  append_record_header(out, ts, static_cast<std::uint32_t>(total));
  const std::size_t start = out.size();
  out.resize(start + total, 0);
  std::uint8_t* ip = out.data() + start;
  const std::size_t addr_len = v6_ ? 16 : 4;
  if (v6_) {
    ip[0] = 0x60;  // version 6, traffic class and flow label 0
    put16(ip + 4, static_cast<std::uint16_t>(tcp_len));
    ip[6] = ip_proto_tcp;
    ip[7] = ttl;
    std::copy_n(src.ip.begin(), 16, ip + 8);
    std::copy_n(dst.ip.begin(), 16, ip + 24);
  } else {
    ip[0] = 0x45;  // version 4, 5-word header
    put16(ip + 2, static_cast<std::uint16_t>(total));
    put16(ip + 4, src.ip_id++);
    put16(ip + 6, 0x4000);  // don't fragment
    ip[8] = ttl;
    ip[9] = ip_proto_tcp;
    std::copy_n(src.ip.begin(), 4, ip + 12);
    std::copy_n(dst.ip.begin(), 4, ip + 16);
    put16(ip + 10, checksum_fold(checksum_add(0, {ip, 20})));
  }
  std::uint8_t* tcp = ip + ip_len;
  put16(tcp, src.port);
  put16(tcp + 2, dst.port);
  put32(tcp + 4, src.seq);
  // A SYN acknowledges nothing; everything after it acknowledges all the peer sent.
  put32(tcp + 8, (flags & flag_ack) ? dst.seq : 0);
  tcp[12] = static_cast<std::uint8_t>((mss_option ? 6 : 5) << 4);
  tcp[13] = flags;
  put16(tcp + 14, window);
  if (mss_option) {
    tcp[20] = 2;  // kind: maximum segment size
    tcp[21] = 4;
    put16(tcp + 22, static_cast<std::uint16_t>(mss()));
  }
  std::copy(payload.begin(), payload.end(), tcp + (mss_option ? 24 : 20));
  // The pseudo-header: addresses, protocol and TCP length (RFC 9293 3.1, RFC 8200 8.1).
  std::uint32_t sum = checksum_add(0, {ip + (v6_ ? 8 : 12), 2 * addr_len});
  sum += ip_proto_tcp;
  sum += static_cast<std::uint32_t>(tcp_len & 0xffff) + static_cast<std::uint32_t>(tcp_len >> 16);
  sum = checksum_add(sum, {tcp, tcp_len});
  put16(tcp + 16, checksum_fold(sum));
}

}  // namespace tlsgate::capture

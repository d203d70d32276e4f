#include "gateway/capture/pcap_format.hpp"

namespace tlsgate::capture {
namespace {

void put_le32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_le16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

}  // namespace

void append_pcap_header(std::vector<std::uint8_t>& out) {
  put_le32(out, pcap_magic_us);
  put_le16(out, 2);  // version major
  put_le16(out, 4);  // version minor
  put_le32(out, 0);  // thiszone: timestamps are UTC
  put_le32(out, 0);  // sigfigs
  put_le32(out, pcap_snaplen);
  put_le32(out, linktype_raw);
}

void append_record_header(std::vector<std::uint8_t>& out, std::chrono::system_clock::time_point ts,
                          std::uint32_t length) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(ts.time_since_epoch()).count();
  put_le32(out, static_cast<std::uint32_t>(us / 1'000'000));
  put_le32(out, static_cast<std::uint32_t>(us % 1'000'000));
  put_le32(out, length);  // incl_len: never truncated (packets are far below the snaplen)
  put_le32(out, length);  // orig_len
}

std::vector<std::uint8_t> pcap_header() {
  std::vector<std::uint8_t> out;
  append_pcap_header(out);
  return out;
}

}  // namespace tlsgate::capture

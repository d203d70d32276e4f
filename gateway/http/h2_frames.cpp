#include "gateway/http/h2_frames.hpp"

namespace tlsgate::http::h2 {

FrameHeader parse_frame_header(std::span<const std::uint8_t, frame_header_bytes> b) {
  FrameHeader h;
  h.length = (std::uint32_t(b[0]) << 16) | (std::uint32_t(b[1]) << 8) | b[2];
  h.type = static_cast<FrameType>(b[3]);
  h.flags = b[4];
  h.stream_id = read_u32(b.subspan(5, 4)) & 0x7fffffffu;
  return h;
}

std::uint32_t read_u32(std::span<const std::uint8_t> b) {
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
}

}  // namespace tlsgate::http::h2

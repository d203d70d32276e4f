#pragma once
// One direction of an HTTP/2 connection read frame by frame (RFC 9113 §4.1) for a caller that
// routes the bytes itself: frame headers, payload pieces as they arrive (kept when the caller
// asks, up to a bound), and header blocks (HEADERS / PUSH_PROMISE + CONTINUATION, §6.10) joined
// with their padding, priority and promised stream id taken out. Pure; memory: the kept payload
// and the block, each bounded by the caller's limit.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "gateway/http/h2_frames.hpp"

namespace tlsgate::http::h2 {

inline std::string_view as_chars(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
inline std::span<const std::uint8_t> as_octets(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct FrameReader {
  // Takes frame header bytes at `pos`; true once the 9 are in (`header`, `header_buf`) and the
  // frame has begun (nothing kept yet: set `keep` to read its payload).
  bool begin(std::span<const std::uint8_t> bytes, std::size_t& pos);
  // The current frame's next piece at `pos`; kept up to `limit` bytes when `keep`.
  std::span<const std::uint8_t> next_piece(std::span<const std::uint8_t> bytes, std::size_t& pos,
                                           std::size_t limit);
  // At the end of a HEADERS / PUSH_PROMISE / CONTINUATION frame (kept): joins its fragment to
  // `block`; true once the block is complete. A block past `limit` or malformed sets block_too_big.
  bool add_to_block(std::size_t limit);
  // Between frames, outside a header block.
  bool at_boundary() const { return !in_frame && header_have == 0 && block_frame_stream == 0; }

  std::array<std::uint8_t, frame_header_bytes> header_buf{};
  std::size_t header_have = 0;
  FrameHeader header{};
  std::uint32_t left = 0;  // payload bytes of the current frame still to come
  bool in_frame = false;
  bool keep = false;
  std::string payload;  // the current frame's, when kept
  std::string block;    // the header block in progress
  std::uint32_t block_frame_stream = 0;  // 0: none open
  std::uint32_t block_stream = 0;        // the stream it describes (the promised one for PUSH_PROMISE)
  bool block_end_stream = false;
  bool block_push = false;
  bool block_too_big = false;
};

}  // namespace tlsgate::http::h2

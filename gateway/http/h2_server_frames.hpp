#pragma once
// Follows the server's side of an HTTP/2 connection for the request gate: frame
// boundaries, whether a header block is open (HEADERS / PUSH_PROMISE until the
// CONTINUATION with END_HEADERS: nothing may go between its frames, RFC 9113
// §6.10), the server's SETTINGS and its RST_STREAM frames. Pure; keeps at most
// one partial frame header and one partial SETTINGS entry.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "gateway/http/h2_frames.hpp"

namespace tlsgate::http::h2 {

// What the bytes fed so far said, for the caller to collect and clear.
struct ServerFacts {
  std::optional<std::uint32_t> header_table_size;  // SETTINGS_HEADER_TABLE_SIZE, the latest
  std::optional<std::uint32_t> max_frame_size;     // SETTINGS_MAX_FRAME_SIZE, the latest valid one
  std::vector<std::uint32_t> reset_streams;        // RST_STREAM frames' streams
};

class ServerFrames {
 public:
  // Consumes bytes; with stop_at_boundary, returns right after the first frame that ends outside a
  // header block. Returns the bytes consumed.
  std::size_t feed(std::span<const std::uint8_t> bytes, bool stop_at_boundary, ServerFacts& facts);

  // Between frames and outside a header block, after the server's preface (its
  // first frame, a SETTINGS, must be the first the client gets): the gate's own
  // frames may go here.
  bool at_boundary() const { return preface_done_ && !in_frame_ && header_have_ == 0 && !in_block_; }

 private:
  void on_header(ServerFacts& facts);
  void on_settings_bytes(std::span<const std::uint8_t> bytes, ServerFacts& facts);

  std::array<std::uint8_t, frame_header_bytes> header_buf_{};
  std::size_t header_have_ = 0;
  FrameHeader header_{};
  std::uint32_t left_ = 0;  // payload bytes of the current frame still to come
  bool in_frame_ = false;
  bool preface_done_ = false;  // a whole frame came from the server
  bool in_block_ = false;
  bool in_settings_ = false;  // the current frame is a SETTINGS (not ACK) to read
  std::array<std::uint8_t, 6> entry_{};
  std::size_t entry_have_ = 0;
};

}  // namespace tlsgate::http::h2

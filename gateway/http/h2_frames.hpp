#pragma once
// HTTP/2 framing layer (RFC 9113 §4): a pure, non-buffering frame splitter. Payloads are handed
// out in pieces as they arrive, so a DATA frame of any size costs no memory.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tlsgate::http::h2 {

constexpr std::size_t frame_header_bytes = 9;
// RFC 9113 §3.4: what a prior-knowledge (or ALPN h2) client sends before its first frame.
constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class FrameType : std::uint8_t {
  data = 0x0,
  headers = 0x1,
  priority = 0x2,
  rst_stream = 0x3,
  settings = 0x4,
  push_promise = 0x5,
  ping = 0x6,
  goaway = 0x7,
  window_update = 0x8,
  continuation = 0x9,
};

namespace flag {
constexpr std::uint8_t end_stream = 0x1;   // DATA, HEADERS
constexpr std::uint8_t ack = 0x1;          // SETTINGS, PING
constexpr std::uint8_t end_headers = 0x4;  // HEADERS, PUSH_PROMISE, CONTINUATION
constexpr std::uint8_t padded = 0x8;       // DATA, HEADERS, PUSH_PROMISE
constexpr std::uint8_t priority = 0x20;    // HEADERS
}  // namespace flag

struct FrameHeader {
  std::uint32_t length = 0;  // payload bytes (24 bits)
  FrameType type{};          // unknown types keep their value
  std::uint8_t flags = 0;
  std::uint32_t stream_id = 0;  // reserved bit cleared

  bool has(std::uint8_t f) const { return (flags & f) != 0; }
};

// Any 9 bytes are a syntactically valid frame header.
FrameHeader parse_frame_header(std::span<const std::uint8_t, frame_header_bytes> bytes);

std::uint32_t read_u32(std::span<const std::uint8_t> bytes);  // big-endian, needs 4 bytes

// Splits a byte stream into frames. feed() calls sink(header, offset, piece, last) for each piece
// of payload as it arrives: `offset` is where `piece` starts in the payload, `last` marks the
// frame's end (a zero-length frame gives one empty, last piece). The sink returns false to stop;
// the splitter then ignores everything after. Only a partial 9-byte header is kept between calls.
class FrameSplitter {
 public:
  template <class Sink>
  bool feed(std::span<const std::uint8_t> bytes, Sink&& sink) {
    while (!stopped_) {
      if (!in_frame_) {
        const std::size_t take = std::min(frame_header_bytes - header_have_, bytes.size());
        std::copy_n(bytes.begin(), take, header_buf_.begin() + header_have_);
        header_have_ += take;
        bytes = bytes.subspan(take);
        if (header_have_ < frame_header_bytes) return true;
        header_ = parse_frame_header(header_buf_);
        header_have_ = 0;
        offset_ = 0;
        in_frame_ = true;
      }
      const std::size_t take = std::min<std::size_t>(header_.length - offset_, bytes.size());
      if (take == 0 && header_.length != 0) return true;
      const bool last = offset_ + take == header_.length;
      const std::uint32_t at = offset_;
      offset_ += static_cast<std::uint32_t>(take);
      if (last) in_frame_ = false;
      if (!sink(header_, at, bytes.first(take), last)) stopped_ = true;
      bytes = bytes.subspan(take);
      if (!last) return !stopped_;
    }
    return false;
  }

 private:
  std::array<std::uint8_t, frame_header_bytes> header_buf_{};
  std::size_t header_have_ = 0;
  FrameHeader header_{};
  std::uint32_t offset_ = 0;
  bool in_frame_ = false;
  bool stopped_ = false;
};

}  // namespace tlsgate::http::h2

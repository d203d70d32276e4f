#pragma once
// HTTP/2 frames written by the gateway itself (RFC 9113 §6): appended to a
// byte string the relay writes out as is.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/http/h2_frames.hpp"

namespace tlsgate::http::h2 {

// Every peer accepts frames this large (RFC 9113 §4.2, SETTINGS_MAX_FRAME_SIZE's initial value).
constexpr std::uint32_t default_max_frame_bytes = 16384;

namespace error_code {
constexpr std::uint32_t no_error = 0x0;
constexpr std::uint32_t protocol_error = 0x1;
}  // namespace error_code

void append_frame_header(std::string& out, std::uint32_t length, FrameType type, std::uint8_t flags,
                         std::uint32_t stream_id);
void append_u32(std::string& out, std::uint32_t value);  // big-endian

// A header block as HEADERS (+ CONTINUATION) frames, none longer than max_frame_bytes.
// `headers_flags` (END_STREAM, PRIORITY) go on the HEADERS frame, END_HEADERS on the
// last one; `prefix` (the 5 priority bytes, or empty) opens the HEADERS payload.
void append_header_block(std::string& out, std::uint32_t stream_id, std::uint8_t headers_flags,
                         std::string_view prefix, std::string_view block,
                         std::uint32_t max_frame_bytes = default_max_frame_bytes);

// Increments above 2^31-1 (RFC 9113 §6.9) become several frames; zero writes nothing.
void append_window_update(std::string& out, std::uint32_t stream_id, std::uint64_t increment);
void append_rst_stream(std::string& out, std::uint32_t stream_id, std::uint32_t error);
void append_goaway(std::string& out, std::uint32_t last_stream_id, std::uint32_t error);

}  // namespace tlsgate::http::h2

#include "gateway/http/h2_frame_writer.hpp"

#include <algorithm>

namespace tlsgate::http::h2 {

void append_u32(std::string& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                         static_cast<char>(v)};
  out.append(bytes, 4);
}

void append_frame_header(std::string& out, std::uint32_t length, FrameType type, std::uint8_t flags,
                         std::uint32_t stream_id) {
  const char head[5] = {static_cast<char>(length >> 16), static_cast<char>(length >> 8),
                        static_cast<char>(length), static_cast<char>(type), static_cast<char>(flags)};
  out.append(head, 5);
  append_u32(out, stream_id & 0x7fffffffu);
}

void append_header_block(std::string& out, std::uint32_t stream_id, std::uint8_t headers_flags,
                         std::string_view prefix, std::string_view block, std::uint32_t max_frame_bytes) {
  std::size_t take = std::min<std::size_t>(block.size(), max_frame_bytes - prefix.size());
  std::uint8_t flags = headers_flags;
  if (take == block.size()) flags |= flag::end_headers;
  append_frame_header(out, static_cast<std::uint32_t>(prefix.size() + take), FrameType::headers, flags,
                      stream_id);
  out.append(prefix);
  out.append(block.substr(0, take));
  block.remove_prefix(take);
  while (!block.empty()) {
    take = std::min<std::size_t>(block.size(), max_frame_bytes);
    append_frame_header(out, static_cast<std::uint32_t>(take), FrameType::continuation,
                        take == block.size() ? flag::end_headers : 0, stream_id);
    out.append(block.substr(0, take));
    block.remove_prefix(take);
  }
}

void append_window_update(std::string& out, std::uint32_t stream_id, std::uint64_t increment) {
  constexpr std::uint64_t max_increment = 0x7fffffffu;
  while (increment > 0) {
    const auto step = static_cast<std::uint32_t>(std::min(increment, max_increment));
    append_frame_header(out, 4, FrameType::window_update, 0, stream_id);
    append_u32(out, step);
    increment -= step;
  }
}

void append_rst_stream(std::string& out, std::uint32_t stream_id, std::uint32_t error) {
  append_frame_header(out, 4, FrameType::rst_stream, 0, stream_id);
  append_u32(out, error);
}

void append_goaway(std::string& out, std::uint32_t last_stream_id, std::uint32_t error) {
  append_frame_header(out, 8, FrameType::goaway, 0, 0);
  append_u32(out, last_stream_id & 0x7fffffffu);
  append_u32(out, error);
}

}  // namespace tlsgate::http::h2

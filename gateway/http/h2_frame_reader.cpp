#include "gateway/http/h2_frame_reader.hpp"

#include <algorithm>

namespace tlsgate::http::h2 {

bool FrameReader::begin(std::span<const std::uint8_t> bytes, std::size_t& pos) {
  const std::size_t take = std::min(frame_header_bytes - header_have, bytes.size() - pos);
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(pos), take, header_buf.begin() + header_have);
  header_have += take;
  pos += take;
  if (header_have < frame_header_bytes) return false;
  header_have = 0;
  header = parse_frame_header(header_buf);
  left = header.length;
  in_frame = true;
  keep = false;
  payload.clear();
  return true;
}

std::span<const std::uint8_t> FrameReader::next_piece(std::span<const std::uint8_t> bytes, std::size_t& pos,
                                                      std::size_t limit) {
  const std::size_t take = std::min<std::size_t>(left, bytes.size() - pos);
  const auto piece = bytes.subspan(pos, take);
  pos += take;
  left -= static_cast<std::uint32_t>(take);
  if (keep) payload.append(as_chars(piece.first(std::min(take, limit - std::min(limit, payload.size())))));
  if (left == 0) in_frame = false;
  return piece;
}

bool FrameReader::add_to_block(std::size_t limit) {
  const FrameHeader& h = header;
  std::string_view p = payload;
  if (payload.size() < h.length) block_too_big = true;  // cut at the caller's limit
  if (h.type == FrameType::continuation) {
    if (block_frame_stream == 0) return false;  // a stray CONTINUATION: the peer's error
  } else {
    block.clear();
    block_too_big = payload.size() < h.length;
    block_frame_stream = h.stream_id;
    block_stream = h.stream_id;
    block_push = h.type == FrameType::push_promise;
    block_end_stream = h.type == FrameType::headers && h.has(flag::end_stream);
    std::size_t pad = 0;
    if (h.has(flag::padded)) {
      if (p.empty()) return block_too_big = true;
      pad = std::uint8_t(p[0]);
      p.remove_prefix(1);
    }
    if (block_push) {
      if (p.size() < 4) return block_too_big = true;
      block_stream = read_u32(as_octets(p)) & 0x7fffffffu;
      p.remove_prefix(4);
    } else if (h.has(flag::priority)) {
      if (p.size() < 5) return block_too_big = true;
      p.remove_prefix(5);
    }
    if (pad > p.size()) return block_too_big = true;
    p.remove_suffix(pad);
  }
  if (block.size() + p.size() > limit) block_too_big = true;
  if (!block_too_big) block.append(p);
  if (!h.has(flag::end_headers)) return false;
  block_frame_stream = 0;
  return true;
}

}  // namespace tlsgate::http::h2

#include "gateway/http/h2_server_frames.hpp"

#include <algorithm>

namespace tlsgate::http::h2 {

namespace {
constexpr std::uint16_t settings_header_table_size = 0x1;
constexpr std::uint16_t settings_max_frame_size = 0x5;
constexpr std::uint32_t largest_max_frame_size = (1u << 24) - 1;  // RFC 9113 §6.5.2
}  // namespace

std::size_t ServerFrames::feed(std::span<const std::uint8_t> bytes, bool stop_at_boundary, ServerFacts& facts) {
  std::size_t used = 0;
  while (used < bytes.size()) {
    if (!in_frame_) {
      const std::size_t take = std::min(frame_header_bytes - header_have_, bytes.size() - used);
      std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(used), take, header_buf_.begin() + header_have_);
      header_have_ += take;
      used += take;
      if (header_have_ < frame_header_bytes) break;
      header_have_ = 0;
      header_ = parse_frame_header(header_buf_);
      on_header(facts);
    }
    const std::size_t take = std::min<std::size_t>(left_, bytes.size() - used);
    if (in_settings_) on_settings_bytes(bytes.subspan(used, take), facts);
    used += take;
    left_ -= static_cast<std::uint32_t>(take);
    if (left_ > 0) break;
    in_frame_ = false;
    preface_done_ = true;
    if (stop_at_boundary && !in_block_) break;
  }
  return used;
}

void ServerFrames::on_header(ServerFacts& facts) {
  in_frame_ = true;
  left_ = header_.length;
  switch (header_.type) {
    case FrameType::headers:
    case FrameType::push_promise:
      in_block_ = !header_.has(flag::end_headers);
      break;
    case FrameType::continuation:
      if (header_.has(flag::end_headers)) in_block_ = false;
      break;
    case FrameType::rst_stream:
      facts.reset_streams.push_back(header_.stream_id);
      break;
    default:
      break;
  }
  in_settings_ = header_.type == FrameType::settings && !header_.has(flag::ack);
  entry_have_ = 0;
}

void ServerFrames::on_settings_bytes(std::span<const std::uint8_t> bytes, ServerFacts& facts) {
  for (std::uint8_t b : bytes) {
    entry_[entry_have_++] = b;
    if (entry_have_ < entry_.size()) continue;
    entry_have_ = 0;
    const auto id = static_cast<std::uint16_t>((entry_[0] << 8) | entry_[1]);
    const std::uint32_t value = read_u32(std::span(entry_).subspan(2));
    if (id == settings_header_table_size) facts.header_table_size = value;
    if (id == settings_max_frame_size && value >= 16384 && value <= largest_max_frame_size) {
      facts.max_frame_size = value;
    }
  }
}

}  // namespace tlsgate::http::h2

#include "gateway/http/h2_answer.hpp"

#include <algorithm>
#include <string_view>

#include "gateway/http/h2_frame_writer.hpp"

namespace tlsgate::http::h2 {

namespace {

// RFC 7541 Appendix A: static-table entries whose names the answer uses.
constexpr std::uint32_t static_status = 8;  // ":status" (value "200")
constexpr std::uint32_t static_cache_control = 24;
constexpr std::uint32_t static_content_length = 28;
constexpr std::uint32_t static_content_type = 31;
constexpr std::uint32_t static_location = 46;

// RFC 7541 §5.1: an integer with an N-bit prefix; `first` holds the bits above it.
void append_integer(std::string& out, std::uint8_t first, int prefix_bits, std::uint64_t value) {
  const std::uint64_t max_prefix = (1u << prefix_bits) - 1;
  if (value < max_prefix) {
    out.push_back(static_cast<char>(first | value));
    return;
  }
  out.push_back(static_cast<char>(first | max_prefix));
  value -= max_prefix;
  while (value >= 128) {
    out.push_back(static_cast<char>(0x80 | (value & 0x7f)));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// RFC 7541 §6.2.2: literal header field without indexing, indexed name, raw (not Huffman) value.
void append_field(std::string& out, std::uint32_t name_index, std::string_view value) {
  append_integer(out, 0x00, 4, name_index);
  append_integer(out, 0x00, 7, value.size());
  out.append(value);
}

std::string_view status_of(RequestAction action) {
  switch (action) {
    case RequestAction::misdirected: return "421";
    case RequestAction::redirect: return "302";
    default: return "403";
  }
}

}  // namespace

AnswerFrames answer_frames(std::uint32_t stream_id, const RequestAnswer& answer, std::uint32_t stream_window,
                           bool client_ended) {
  const std::string_view page = std::string_view(answer.page).substr(
      0, std::min<std::size_t>({answer.page.size(), stream_window, max_answer_page_bytes}));
  std::string block;
  append_field(block, static_status, status_of(answer.action));
  append_field(block, static_content_type, "text/html; charset=utf-8");
  append_field(block, static_content_length, std::to_string(page.size()));
  append_field(block, static_cache_control, "no-store");
  if (answer.action == RequestAction::redirect) append_field(block, static_location, answer.location);

  AnswerFrames out;
  append_header_block(out.frames, stream_id, 0, {}, block);
  std::string_view rest = page;
  do {
    const std::string_view piece = rest.substr(0, default_max_frame_bytes);
    rest.remove_prefix(piece.size());
    append_frame_header(out.frames, static_cast<std::uint32_t>(piece.size()), FrameType::data,
                        rest.empty() ? flag::end_stream : 0, stream_id);
    out.frames.append(piece);
  } while (!rest.empty());
  out.data_bytes = static_cast<std::uint32_t>(page.size());
  if (!client_ended) append_rst_stream(out.frames, stream_id, error_code::no_error);
  return out;
}

}  // namespace tlsgate::http::h2

// Byte-exact body framing; see http1_body.hpp. Bulk bytes (Content-Length, chunk data) are
// skipped by count; only chunk-size lines, chunk ends and trailers are read byte by byte.
#include "gateway/http/http1_body.hpp"

#include <algorithm>

#include "gateway/http/http1_chars.hpp"

namespace tlsgate::http::h1 {

namespace {

// A chunk size past this is refused (no upstream needs more; the sum cannot overflow).
constexpr std::uint64_t max_chunk_size = std::uint64_t{1} << 56;

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

BodyFramer::BodyFramer(BodyFraming framing, std::size_t max_trailer_bytes, std::size_t max_trailer_fields)
    : max_trailer_bytes_(max_trailer_bytes), max_trailer_fields_(max_trailer_fields) {
  switch (framing.kind) {
    case BodyKind::none: state_ = State::done; break;
    case BodyKind::length:
      remaining_ = framing.length;
      state_ = remaining_ == 0 ? State::done : State::length;
      break;
    case BodyKind::chunked: state_ = State::size; break;
    case BodyKind::until_close: state_ = State::until_close; break;
  }
}

BodyStep BodyFramer::consume(std::string_view bytes) {
  BodyStep out;
  while (out.used < bytes.size() && state_ != State::done && state_ != State::broken) {
    if (state_ == State::until_close) {
      out.used = bytes.size();
    } else if (state_ == State::length || state_ == State::data) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - out.used));
      out.used += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = state_ == State::length ? State::done : State::data_cr;
    } else if (const char* error = step(static_cast<std::uint8_t>(bytes[out.used]))) {
      error_ = error;
      state_ = State::broken;
    } else {
      ++out.used;
    }
  }
  out.done = state_ == State::done;
  if (state_ == State::broken) out.error = error_;
  return out;
}

const char* BodyFramer::step(std::uint8_t c) {
  switch (state_) {
    case State::size:
    case State::extension:
      if (++line_bytes_ > max_chunk_line_bytes) return "chunk-size line too long";
      if (c == '\r') {
        if (line_bytes_ == 1) return "empty chunk size";
        state_ = State::size_lf;
      } else if (state_ == State::extension) {
        if (!is_field_char(c)) return "bad character in chunk extension";
      } else if (c == ';' && line_bytes_ > 1) {
        state_ = State::extension;
      } else {
        const int digit = hex_value(c);
        if (digit < 0) return "bad chunk size";
        if (remaining_ >= max_chunk_size / 16) return "chunk size too large";
        remaining_ = remaining_ * 16 + static_cast<unsigned>(digit);
      }
      return nullptr;
    case State::size_lf:
      if (c != '\n') return "chunk-size line not ended by CRLF";
      line_bytes_ = 0;
      state_ = remaining_ == 0 ? State::trailer_start : State::data;
      return nullptr;
    case State::data_cr:
      if (c != '\r') return "chunk data not followed by CRLF";
      state_ = State::data_lf;
      return nullptr;
    case State::data_lf:
      if (c != '\n') return "chunk data not followed by CRLF";
      state_ = State::size;
      return nullptr;
    default:
      break;
  }
  // Trailer section (RFC 9112 §7.1.2): field lines, then an empty line.
  if (++trailer_bytes_ > max_trailer_bytes_) return "trailer section exceeds max_header_bytes";
  switch (state_) {
    case State::trailer_start:
      if (c == '\r') {
        state_ = State::final_lf;
      } else if (is_tchar(c)) {
        if (++trailer_fields_ > max_trailer_fields_) return "trailer section exceeds max_header_fields";
        state_ = State::trailer_name;
      } else {
        return is_ows(c) ? "obs-fold in trailer section" : "bad trailer field name";
      }
      return nullptr;
    case State::trailer_name:
      if (c == ':') {
        state_ = State::trailer_value;
      } else if (!is_tchar(c)) {
        return "bad trailer field name";
      }
      return nullptr;
    case State::trailer_value:
      if (c == '\r') {
        state_ = State::trailer_lf;
      } else if (!is_field_char(c)) {
        return "bad character in trailer field";
      }
      return nullptr;
    case State::trailer_lf:
      if (c != '\n') return "trailer line not ended by CRLF";
      state_ = State::trailer_start;
      return nullptr;
    case State::final_lf:
      if (c != '\n') return "trailer section not ended by CRLF";
      state_ = State::done;
      return nullptr;
    default:
      return "body framing state";  // unreachable: bulk states are handled by consume()
  }
}

}  // namespace tlsgate::http::h1

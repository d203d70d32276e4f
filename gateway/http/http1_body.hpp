#pragma once
// HTTP/1 message-body framing (RFC 9112 §6, §7.1): where a body ends, byte-exact, without
// holding any of it. Content-Length counts down; chunked is read byte by byte (chunk-size
// line with extensions, data, CRLF, trailer section to its empty line); close-delimited
// never ends. Strict: CRLF only, no whitespace before a chunk extension, hex sizes that fit.
// Pure: no I/O; memory is constant.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tlsgate::http::h1 {

enum class BodyKind {
  none,         // no body (or Content-Length: 0)
  length,       // Content-Length
  chunked,      // Transfer-Encoding ending in chunked
  until_close,  // a response without length: the body ends with the connection
};

struct BodyFraming {
  BodyKind kind = BodyKind::none;
  std::uint64_t length = 0;  // BodyKind::length
};

// A chunk-size line (size and extensions) longer than this is an error.
constexpr std::size_t max_chunk_line_bytes = 4096;

struct BodyStep {
  std::size_t used = 0;  // bytes of the input that belong to the body
  bool done = false;     // the body ended at `used`
  std::string error;     // set: the framing is broken at input[used]
};

class BodyFramer {
 public:
  BodyFramer() = default;  // no body: done at once
  // Trailer sections are bounded like heads: `max_trailer_bytes`, `max_trailer_fields`.
  BodyFramer(BodyFraming framing, std::size_t max_trailer_bytes, std::size_t max_trailer_fields);

  bool done() const { return state_ == State::done; }
  // Consumes `bytes` up to the body's end; the rest belongs to whatever follows. After an
  // error the framer stays broken (every later call returns the error, using nothing).
  BodyStep consume(std::string_view bytes);

 private:
  enum class State {
    done, length, until_close,
    size, extension, size_lf,           // chunk-size line
    data, data_cr, data_lf,             // chunk data and its CRLF
    trailer_start, trailer_name, trailer_value, trailer_lf, final_lf,
    broken,
  };
  // One byte of a chunk-size line, data end or trailer; returns an error text or nullptr.
  const char* step(std::uint8_t c);

  State state_ = State::done;
  std::uint64_t remaining_ = 0;  // length / chunk data left
  std::size_t line_bytes_ = 0;   // chunk-size line so far
  std::size_t trailer_bytes_ = 0, trailer_fields_ = 0;
  std::size_t max_trailer_bytes_ = 0, max_trailer_fields_ = 0;
  std::string error_;
};

}  // namespace tlsgate::http::h1

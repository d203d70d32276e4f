#pragma once
// The gate's own HTTP/2 response on a stream it did not forward: HEADERS,
// DATA with END_STREAM carrying the page, then RST_STREAM(NO_ERROR) when the
// client has not ended its side. The header block uses only static-table
// names and literals without indexing (RFC 7541 §6.2.2), so the client's HPACK
// decoder table is left as the upstream's encoder expects it.
#include <cstdint>
#include <string>

#include "gateway/http/request_gate.hpp"

namespace tlsgate::http::h2 {

struct AnswerFrames {
  std::string frames;
  std::uint32_t data_bytes = 0;  // DATA payload bytes: they use up the client's connection window
};

// `answer.action` must not be forward. The page is cut to `stream_window` (what the
// client lets a server send on a new stream) and to no more than max_answer_page_bytes.
AnswerFrames answer_frames(std::uint32_t stream_id, const RequestAnswer& answer, std::uint32_t stream_window,
                           bool client_ended);

constexpr std::uint32_t max_answer_page_bytes = 1024 * 1024;

}  // namespace tlsgate::http::h2

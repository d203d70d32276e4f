#pragma once
// One HTTP/1 head read from bytes that may split it anywhere: what came of an unfinished head
// is kept until the rest comes (at most max_header_bytes: past that the scanner errs). Pure.
#include <cstddef>
#include <string>
#include <string_view>

#include "gateway/http/exchange.hpp"
#include "gateway/http/http1_head.hpp"

namespace tlsgate::http::h1 {

class PartialHead {
 public:
  enum class Status { need_more, complete, error };
  struct Read {
    Status status = Status::need_more;
    std::size_t used = 0;   // complete: the bytes of this input the head took; otherwise all of them
    std::string head;       // complete: the head as sent, final CRLF included (held bytes first)
    std::size_t start = 0;  // complete: where its start line begins (HeadScanner::start())
    std::string detail;     // error: why
  };

  // Reads `bytes` on from what is held. need_more and error keep everything (take() gives it);
  // complete starts afresh for the next head.
  Read read(std::string_view bytes, const HttpLimits& limits);
  bool holding() const { return !held_.empty(); }
  // What is held, and starts afresh.
  std::string take();

 private:
  std::string held_;
  HeadScanner scanner_;
};

}  // namespace tlsgate::http::h1

#pragma once
// The result type of every pure parser: complete (value + bytes used),
// need more input, or an error (an enum code whose name becomes a flow
// `reason`, plus a short human detail).
#include <cstddef>
#include <string>
#include <utility>

namespace tlsgate {

enum class ParseStatus { complete, need_more, error };

template <class T, class Error>
struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  T value{};
  std::size_t consumed = 0;  // bytes of input the complete value used
  Error error{};
  std::string detail;

  static ParseResult complete(T value, std::size_t consumed) {
    ParseResult r;
    r.status = ParseStatus::complete;
    r.value = std::move(value);
    r.consumed = consumed;
    return r;
  }
  static ParseResult need_more() { return ParseResult{}; }
  static ParseResult failure(Error error, std::string detail) {
    ParseResult r;
    r.status = ParseStatus::error;
    r.error = error;
    r.detail = std::move(detail);
    return r;
  }

  bool is_complete() const { return status == ParseStatus::complete; }
  bool is_need_more() const { return status == ParseStatus::need_more; }
  bool is_error() const { return status == ParseStatus::error; }
};

}  // namespace tlsgate

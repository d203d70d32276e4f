#include "gateway/http/http1_partial_head.hpp"

#include <utility>

namespace tlsgate::http::h1 {

PartialHead::Read PartialHead::read(std::string_view bytes, const HttpLimits& limits) {
  Read out;
  const std::size_t held_before = held_.size();
  std::string_view data = bytes;
  if (held_before > 0) {
    held_.append(bytes);
    data = held_;
  }
  const auto scan = scanner_.scan(data, limits.max_header_bytes, limits.max_header_fields);
  if (!scan.is_complete()) {
    if (held_before == 0) held_.assign(bytes);
    out.status = scan.is_error() ? Status::error : Status::need_more;
    out.used = bytes.size();
    if (scan.is_error()) out.detail = scan.detail;
    return out;
  }
  out.status = Status::complete;
  out.head.assign(data.substr(0, scan.value));
  out.start = scanner_.start();
  out.used = scan.value - held_before;
  held_.clear();
  scanner_ = HeadScanner{};
  return out;
}

std::string PartialHead::take() {
  scanner_ = HeadScanner{};
  return std::exchange(held_, {});
}

}  // namespace tlsgate::http::h1

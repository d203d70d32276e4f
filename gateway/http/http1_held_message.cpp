// A message held for a content scan; see http1_held_message.hpp.
#include "gateway/http/http1_held_message.hpp"

#include <utility>

#include "gateway/http/http1_dechunk.hpp"

namespace tlsgate::http::h1 {

void HeldMessage::start(std::string_view head, bool keep_head, BodyFraming framing, std::string request_head,
                        const HttpLimits& limits) {
  holding_ = true;
  held_.assign(keep_head ? head : std::string_view{});
  head_.assign(head);
  body_start_ = held_.size();
  framing_ = framing;
  body_ = BodyFramer(framing, limits.max_header_bytes, limits.max_header_fields);
  request_head_ = std::move(request_head);
}

BodyStep HeldMessage::consume(std::string_view bytes) {
  const BodyStep step = body_.consume(bytes);
  held_.append(bytes.substr(0, step.used));
  return step;
}

std::optional<HeldMessage::Complete> HeldMessage::complete() {
  Complete out;
  const std::string_view body = std::string_view(held_).substr(body_start_);
  if (framing_.kind == BodyKind::chunked) {
    auto payload = dechunk(body);
    if (!payload) return std::nullopt;
    out.body = std::move(*payload);
  } else {
    out.body.assign(body);
  }
  out.head = std::move(head_);
  out.request_head = std::move(request_head_);
  out.bytes = take_bytes();
  return out;
}

std::string HeldMessage::take_bytes() {
  holding_ = false;
  head_.clear();
  request_head_.clear();
  body_start_ = 0;
  return std::exchange(held_, {});
}

}  // namespace tlsgate::http::h1

// Fuzzes the HTTP/1 observer with an interleaved conversation (format: conversation.hpp).
#include <cstddef>
#include <cstdint>
#include <span>

#include "tests/fuzz/conversation.hpp"

using namespace tlsgate::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const HttpLimits limits = fuzz::limits_from(options);
  auto obs = fuzz::use_cleartext_detector(options) ? make_cleartext_observer(limits)
                                                   : make_http1_observer(limits, "https");
  fuzz::replay_conversation(*obs, std::span(data + 1, size - 1), options);
  return 0;
}

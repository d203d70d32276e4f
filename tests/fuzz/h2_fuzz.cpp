// Fuzzes the HTTP/2 observer with an interleaved conversation (format: conversation.hpp).
// Option bit 6: do not prepend the client connection preface.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gateway/http/h2_frames.hpp"
#include "tests/fuzz/conversation.hpp"

using namespace tlsgate::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const HttpLimits limits = fuzz::limits_from(options);
  auto obs = fuzz::use_cleartext_detector(options) ? make_cleartext_observer(limits)
                                                   : make_h2_observer(limits, "https");
  if ((options & 64) == 0) {
    const auto* preface = reinterpret_cast<const std::uint8_t*>(h2::client_preface.data());
    obs->on_client_bytes({preface, h2::client_preface.size()}, Clock::time_point{});
  }
  fuzz::replay_conversation(*obs, std::span(data + 1, size - 1), options);
  return 0;
}

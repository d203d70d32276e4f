// Fuzzes the HTTP/2 observer with an interleaved conversation.
// Input: one options byte, then records [direction byte (bit 0: server)][u16 BE length][bytes].
// Options: bit 0 redact, bit 1 body capture, bits 2-3 header limit, bit 4 call on_close,
// bit 5 go through the cleartext detector, bit 6 do not prepend the client preface.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/observer.hpp"

using namespace tlsgate::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  HttpLimits limits;
  limits.redact = (options & 1) != 0;
  limits.body_capture_bytes = (options & 2) != 0 ? 16 : 0;
  constexpr std::size_t header_limits[] = {64 * 1024, 1024, 100, 8 * 1024};
  limits.max_header_bytes = header_limits[(options >> 2) & 3];
  auto obs = (options & 32) != 0 ? make_cleartext_observer(limits) : make_h2_observer(limits, "https");
  if ((options & 64) == 0) {
    const auto* preface = reinterpret_cast<const std::uint8_t*>(h2::client_preface.data());
    obs->on_client_bytes({preface, h2::client_preface.size()}, Clock::time_point{});
  }
  std::span<const std::uint8_t> in(data + 1, size - 1);
  Clock::time_point now{};
  while (in.size() >= 3) {
    const bool server = (in[0] & 1) != 0;
    const std::size_t len = std::min<std::size_t>((std::size_t{in[1]} << 8) | in[2], in.size() - 3);
    const auto bytes = in.subspan(3, len);
    in = in.subspan(3 + len);
    now += std::chrono::milliseconds(1);
    if (server) {
      obs->on_server_bytes(bytes, now);
    } else {
      obs->on_client_bytes(bytes, now);
    }
  }
  if ((options & 16) != 0) obs->on_close(now);
  for (const auto& e : obs->take_exchanges()) (void)to_json(e).dump();  // must not throw on wire text
  return 0;
}

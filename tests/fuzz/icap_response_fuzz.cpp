// Fuzzes the ICAP response parser with the input as the bytes a server sent (c-icap's
// captures in tests/data/icap/ are seeds as they are), then reads OPTIONS and a verdict from
// what it parsed. Checks: the bounds hold, and a complete answer parses the same from exactly
// the bytes it used.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/icap/icap_options.hpp"
#include "gateway/icap/icap_response.hpp"
#include "gateway/icap/scan_verdict.hpp"

using namespace tlsgate::icap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  IcapLimits limits;  // small, so inputs reach every bound
  limits.max_head_bytes = 4096;
  limits.max_headers = 32;
  limits.max_http_head_bytes = 4096;
  limits.max_body_bytes = 8192;
  const auto r = parse_icap_response(bytes, limits);
  if (!r.is_complete()) return 0;
  const auto& v = r.value;
  if (r.consumed > size || v.body.size() > limits.max_body_bytes || v.headers.size() > limits.max_headers ||
      v.request_head.size() + v.response_head.size() > limits.max_http_head_bytes) {
    std::abort();
  }
  const auto again = parse_icap_response(bytes.substr(0, r.consumed), limits);
  if (!again.is_complete() || again.consumed != r.consumed || again.value.body != v.body) std::abort();
  std::string error;
  (void)read_options(v, error);
  const auto verdict = verdict_from(v);
  if (verdict.outcome == ScanOutcome::infected && verdict.threat.empty()) std::abort();
  return 0;
}

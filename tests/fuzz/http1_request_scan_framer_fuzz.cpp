// Fuzzes the request framer of upload scanning. Input: one options byte (bit 0: pass_on_overflow,
// bits 1-3: max_body_bytes = 1 << (2 * bits)), one split byte, then the client's bytes.
// Invariants, with every scanned request taken as clean: what comes out (forward, scan and
// overflow bytes, in order) is a prefix of the client's bytes, the same whether they come whole
// or split in two; a scan step's bytes start with its head, hold at most max_body_bytes of body
// and, unless chunked, are the head and the payload; nothing comes out once the framer stopped.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/http1_request_scan_framer.hpp"

using namespace tlsgate::http::h1;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::string run(const ScanFramerSettings& settings, std::string_view input, std::size_t split) {
  RequestScanFramer framer(settings);
  std::vector<ScanStep> steps;
  framer.from_client(input.substr(0, split), steps);
  framer.from_client(input.substr(split), steps);
  framer.client_closed(steps);
  std::string out;
  for (const auto& step : steps) {
    if (step.kind == ScanStepKind::scan) {
      check(step.bytes.starts_with(step.head));
      check(step.bytes.size() - step.head.size() <= settings.max_body_bytes);
      std::string head = step.head;
      for (char& c : head) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
      if (head.find("chunked") == std::string::npos) {
        check(step.bytes == step.head + step.body);
      }
    }
    if (step.kind == ScanStepKind::skipped) check(step.bytes.empty());
    out += step.bytes;
  }
  if (framer.stopped()) {
    std::vector<ScanStep> more;
    framer.from_client("GET / HTTP/1.1\r\nHost: a\r\n\r\n", more);
    check(more.empty());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  ScanFramerSettings settings;
  settings.pass_on_overflow = (data[0] & 1) != 0;
  settings.max_body_bytes = std::size_t{1} << (2 * ((data[0] >> 1) & 7));
  settings.limits.max_header_bytes = 4096;
  settings.limits.max_header_fields = 32;
  settings.scans_content_type = [](std::string_view type) { return !type.starts_with("image/"); };
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::size_t split = input.empty() ? 0 : data[1] % (input.size() + 1);
  const std::string whole = run(settings, input, input.size());
  const std::string parts = run(settings, input, split);
  check(input.starts_with(whole));
  check(parts == whole);
  return 0;
}

// Fuzzes the HTTP/2 scan framer. Input: an options byte (bit 0 pass on overflow, bits 1-2 the
// body bound, bit 3 no client preface), a count n and n verdict bytes (each scan step takes the
// next one, cycling: bit 0 delivers), then records [direction (bit 0: server)][u16 BE length]
// [bytes]; the client preface is sent first (unless bit 3). Checked, as the response scanner
// would carry the steps out: held bytes stay within the bounds; every DATA frame the client
// gets is one the server sent, whole, and none of a stream after the framer reset it; header
// frames reach the client in the server's order, unchanged (when the server's bytes are whole
// frames and the framer did not stop); the frames for the server are resets (CANCEL) and window
// updates on stream 0 only, and only go out where the client's bytes end a frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/h2_scan_framer.hpp"
#include "tests/support/h2_wire.hpp"

using namespace tlsgate::http;
namespace wire = tlsgate::test::h2wire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool header_frame(std::uint8_t type) { return type == 0x1 || type == 0x5 || type == 0x9; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t options = data[0];
  const std::size_t n = std::min<std::size_t>(data[1], size - 2);
  const std::span<const std::uint8_t> verdicts(data + 2, n);
  std::span<const std::uint8_t> in(data + 2 + n, size - 2 - n);

  h2::ScanFramerSettings settings;
  constexpr std::size_t bounds[] = {1 << 20, 100, 20000, 70000};
  settings.max_body_bytes = bounds[(options >> 1) & 3];
  settings.max_flow_bytes = settings.max_body_bytes;
  settings.pass_on_overflow = (options & 1) != 0;
  settings.limits.max_header_bytes = 4096;
  settings.scans_content_type = [](std::string_view type) { return type != "image/png"; };
  h2::ScanFramer framer(settings);

  std::string server, to_client, to_server;
  std::size_t next = 0;
  std::vector<h2::ScanStep> steps;
  auto carry_out = [&] {
    for (auto& step : steps) {
      switch (step.kind) {
        case h2::ScanStepKind::forward:
        case h2::ScanStepKind::overflow:
          to_client += step.bytes;
          break;
        case h2::ScanStepKind::skipped:
          check(step.bytes.empty());
          break;
        case h2::ScanStepKind::scan: {
          const bool deliver = verdicts.empty() || (verdicts[next++ % verdicts.size()] & 1) != 0;
          to_client += framer.verdict(step.stream_id, deliver);
          break;
        }
      }
    }
    steps.clear();
    check(framer.held_bytes() <= settings.max_flow_bytes);
  };
  auto client = [&](std::span<const std::uint8_t> bytes) {
    framer.from_client(bytes, steps);
    for (const auto& step : steps) check(step.kind == h2::ScanStepKind::skipped);
    carry_out();
    if (framer.to_server_ready()) to_server += framer.take_to_server();
  };
  if ((options & 8) == 0) client({reinterpret_cast<const std::uint8_t*>(h2::client_preface.data()), h2::client_preface.size()});
  while (in.size() >= 3) {
    const bool from_server = (in[0] & 1) != 0;
    const std::size_t len = std::min<std::size_t>((std::size_t(in[1]) << 8) | in[2], in.size() - 3);
    const auto bytes = in.subspan(3, len);
    in = in.subspan(3 + len);
    if (from_server) {
      server.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      framer.from_server(bytes, steps);
      carry_out();
    } else {
      client(bytes);
    }
  }

  const auto for_server = wire::frames(to_server);
  check(for_server.has_value());
  for (const auto& f : *for_server) {
    check((f.type == 0x3 && f.stream != 0 && wire::get_u32(f.payload, 0) == 0x8) ||
          (f.type == 0x8 && f.stream == 0 && f.payload.size() == 4));
  }

  const auto sent = wire::frames(server);
  if (!sent || framer.stopped()) return 0;
  const auto got = wire::frames(to_client);
  check(got.has_value());
  std::multiset<std::string> sent_data, sent_resets;
  std::vector<const wire::Frame*> sent_headers;
  for (const auto& f : *sent) {
    if (f.type == 0x0) sent_data.insert(std::to_string(f.stream) + ":" + std::to_string(f.flags) + ":" + f.payload);
    if (f.type == 0x3) sent_resets.insert(std::to_string(f.stream) + ":" + f.payload);
    if (header_frame(f.type)) sent_headers.push_back(&f);
  }
  std::set<std::uint32_t> reset_by_framer, cleared;
  std::size_t header_at = 0;
  for (const auto& f : *got) {
    if (f.type == 0x0) {  // a DATA frame the server sent, whole, of a stream not withheld
      check(!reset_by_framer.contains(f.stream));
      const auto it = sent_data.find(std::to_string(f.stream) + ":" + std::to_string(f.flags) + ":" + f.payload);
      check(it != sent_data.end());
      sent_data.erase(it);
    } else if (f.type == 0x3) {  // the server's reset, or the framer's (INTERNAL_ERROR)
      const auto it = sent_resets.find(std::to_string(f.stream) + ":" + f.payload);
      if (it != sent_resets.end()) {
        sent_resets.erase(it);
      } else {
        check(wire::get_u32(f.payload, 0) == 0x2);
        reset_by_framer.insert(f.stream);
      }
    } else if (header_frame(f.type)) {  // the server's, in order; a withheld stream's trailers lose END_STREAM
      check(header_at < sent_headers.size());
      const wire::Frame& s = *sent_headers[header_at++];
      const bool end_stream_cleared = s.type == 0x1 && f.flags == (s.flags & ~0x1);
      check(f.type == s.type && f.stream == s.stream && f.payload == s.payload &&
            (f.flags == s.flags || end_stream_cleared));
      if (f.flags != s.flags) cleared.insert(f.stream);
    }
  }
  for (std::uint32_t id : cleared) check(reset_by_framer.contains(id));  // ... and the framer reset the stream
  return 0;
}

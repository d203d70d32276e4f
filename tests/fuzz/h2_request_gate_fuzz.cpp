// Fuzzes the HTTP/2 request gate. Input: an options byte (bit 0 relay unparsed on error, bits 1-2
// header limit, bit 3 no client preface), a count n and n decision bytes (each request head takes the next one, cycling:
// forward, block, misdirected, redirect; a forward with bit 4 carries header rules, with bit 5
// also ones the gate must refuse), then records [direction (bit 0: server)][u16 BE length]
// [bytes]; the client preface is sent first (unless bit 3). Checked: what goes upstream is whole h2 frames (a
// DATA or other non-header frame may be cut at the end) whose header blocks all decode with an
// inflater playing the upstream, and nothing of an answered stream; an edited request's block
// carries the set field once and no removed one; the gate's frames for the client
// go only where the server's bytes end a frame outside a header block, and decode on the client
// side without touching its HPACK table.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/http/h2_frames.hpp"
#include "gateway/http/request_gate.hpp"
#include "tests/support/h2_wire.hpp"

using namespace tlsgate::http;
namespace wire = tlsgate::test::h2wire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Header rules of a forwarded answer: a set and a remove, and (`refused`) edits of fields no
// rule may touch, which the gate skips.
std::vector<HeaderEdit> fuzz_edits(bool refused) {
  using Kind = HeaderEdit::Kind;
  std::vector<HeaderEdit> edits = {{Kind::remove, "Accept", ""}, {Kind::set, "X-Tlsgate-Fuzz", "7f3a"}};
  if (refused) {
    edits.insert(edits.begin(), {{Kind::set, ":authority", "evil.test"}, {Kind::set, "Host", "evil.test"},
                                 {Kind::remove, ":path", ""}, {Kind::set, "X-Bad", "a\r\nb"}});
  }
  return edits;
}

// The request block of an edited stream: the rules' field once, no removed one.
bool edited_as_asked(const wire::Fields& fields) {
  int set = 0;
  for (const auto& [name, value] : fields) {
    if (name == "accept" || name == "x-bad") return false;
    if (name == "x-tlsgate-fuzz") set += value == "7f3a" ? 1 : 2;
  }
  return set == 1;
}

// The server's bytes so far end a frame, outside any header block.
bool at_server_boundary(const std::string& server) {
  const auto frames = wire::frames(server);
  if (!frames) return false;
  // A block opens with HEADERS / PUSH_PROMISE and ends with END_HEADERS; a stray CONTINUATION
  // (the server's protocol error) opens none.
  bool in_block = false;
  for (const wire::Frame& f : *frames) {
    const bool end_headers = (f.flags & 0x4) != 0;
    if (f.type == 0x1 || f.type == 0x5) in_block = !end_headers;
    if (f.type == 0x9 && end_headers) in_block = false;
  }
  return !in_block;
}

// Whole frames of `bytes`, and whether what is left over is a cut non-header frame.
std::string whole_frames(const std::string& bytes, bool& cut_header_frame) {
  std::size_t at = 0;
  while (bytes.size() - at >= 9) {
    const std::size_t n = (std::size_t(std::uint8_t(bytes[at])) << 16) |
                          (std::size_t(std::uint8_t(bytes[at + 1])) << 8) | std::uint8_t(bytes[at + 2]);
    if (bytes.size() - at < 9 + n) break;
    at += 9 + n;
  }
  const std::uint8_t type = bytes.size() - at >= 4 ? std::uint8_t(bytes[at + 3]) : 0;
  cut_header_frame = at < bytes.size() && (type == 0x1 || type == 0x9);
  return bytes.substr(0, at);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t options = data[0];
  const std::size_t n = std::min<std::size_t>(data[1], size - 2);
  const std::span<const std::uint8_t> decisions(data + 2, n);
  std::span<const std::uint8_t> in(data + 2 + n, size - 2 - n);

  GateSettings settings;
  settings.relay_unparsed_on_error = (options & 1) != 0;
  constexpr std::size_t header_limits[] = {64 * 1024, 1024, 100, 8 * 1024};
  settings.limits.max_header_bytes = header_limits[(options >> 1) & 3];
  std::size_t next = 0;
  std::set<std::uint32_t> answered, edited;
  auto gate = make_h2_request_gate(settings, [&](const RequestHead& head) {
    check(head.version == "2" && head.stream_id % 2 == 1);
    const std::uint8_t pick = decisions.empty() ? 0 : decisions[next++ % decisions.size()];
    RequestAnswer answer{static_cast<RequestAction>(pick % 4), std::string(pick % 64, 'p'), "/elsewhere"};
    if (answer.action != RequestAction::forward) answered.insert(head.stream_id);
    if (answer.action == RequestAction::forward && (pick & 0x10) != 0) {
      answer.header_edits = fuzz_edits((pick & 0x20) != 0);
      edited.insert(head.stream_id);
    }
    return answer;
  });

  std::string to_server, checked_to_server, server, to_client;
  bool errored = false, unparsed = false;
  auto client_bytes = [&](std::span<const std::uint8_t> bytes) {
    ClientStep step = gate->from_client(bytes);
    if (step.error) {
      check(!errored);
      errored = true;
      unparsed = !step.close;
      if (unparsed) checked_to_server = to_server;  // what follows is relayed unparsed
      if (step.close && !step.to_client.empty()) check(at_server_boundary(server));
      to_client += step.to_client;
    } else {
      check(step.to_client.empty());
    }
    to_server += step.to_server;
  };
  if ((options & 8) == 0) {
    client_bytes({reinterpret_cast<const std::uint8_t*>(h2::client_preface.data()), h2::client_preface.size()});
  }
  while (in.size() >= 3) {
    const bool from_server = (in[0] & 1) != 0;
    const std::size_t len = std::min<std::size_t>((std::size_t{in[1]} << 8) | in[2], in.size() - 3);
    const auto bytes = in.subspan(3, len);
    in = in.subspan(3 + len);
    if (!from_server) {
      client_bytes(bytes);
      continue;
    }
    ServerStep step = gate->from_server(bytes);
    check(step.split <= bytes.size());
    server.append(reinterpret_cast<const char*>(bytes.data()), step.split);
    if (!step.inject.empty()) check(at_server_boundary(server));
    to_client += step.inject;
    server.append(reinterpret_cast<const char*>(bytes.data()) + step.split, bytes.size() - step.split);
    const std::string more = gate->take_to_client();
    if (!more.empty()) check(at_server_boundary(server));
    to_client += more;
  }
  if (!unparsed) checked_to_server = to_server;

  // Upstream side.
  check(checked_to_server.empty() || checked_to_server.starts_with(h2::client_preface));
  bool cut_header_frame = false;
  const std::string upstream_frames =
      whole_frames(checked_to_server.substr(std::min(checked_to_server.size(), h2::client_preface.size())),
                   cut_header_frame);
  check(!cut_header_frame);
  wire::Decoder upstream(64 * 1024);
  const wire::Walk up = wire::walk(upstream_frames, upstream, 1 << 24);
  check(up.ok);
  std::set<std::uint32_t> seen;
  for (const wire::Block& b : up.blocks) {
    check(!answered.contains(b.stream));
    if (seen.insert(b.stream).second && edited.contains(b.stream)) check(edited_as_asked(b.fields));
  }
  for (const wire::Frame& f : up.others) check(f.type != 0x0 || !answered.contains(f.stream));

  // Client side: the gate's frames alone, decoded by a fresh client decoder.
  wire::Decoder client;
  const wire::Walk down = wire::walk(to_client, client);
  check(down.ok);
  for (const wire::Block& b : down.blocks) {
    check(!b.fields.empty() && b.fields[0].first == ":status");
    check(b.fields[0].second == "403" || b.fields[0].second == "421" || b.fields[0].second == "302");
  }
  check(client.table_entries() == 0);
  return 0;
}

// Fuzzes the HTTP/1 request gate. Input: one options byte (bit 0: relay_unparsed_on_error,
// bits 1-2: header caps), a decision count byte and that many decision bytes (each head takes
// the next, cyclically: forward, forward with header rules (some of them ones the gate must
// refuse), block, misdirected or redirect), then records
// [direction byte (bit 0: server)][u16 BE length][bytes].
// Invariants: what went upstream is a prefix of the client's bytes (without header rules) or
// carries each rewritten head's set field; a second gate that
// forwards everything, fed exactly those bytes and the same server bytes, decides the same
// heads in the same order and forwards the same bytes (the upstream frames requests as the gate
// did, rewritten heads included); no byte of a blocked head went upstream; every answer has the
// promised shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "gateway/http/request_gate.hpp"

using namespace tlsgate::http;

namespace {

using HeadKey = std::tuple<std::string, std::string, std::optional<std::string>, std::string, std::optional<std::string>>;

HeadKey key(const RequestHead& h) { return {h.version, h.method, h.authority, h.path, h.upgrade}; }

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view fuzz_field = "\r\nX-Tlsgate-Fuzz: 7f3a\r\n";

// Header rules of a forwarded answer: a set and a remove, and (`refused`) edits of framing and
// routing fields, which the gate skips.
std::vector<HeaderEdit> fuzz_edits(bool refused) {
  using Kind = HeaderEdit::Kind;
  std::vector<HeaderEdit> edits = {{Kind::remove, "Accept", ""}, {Kind::set, "X-Tlsgate-Fuzz", "7f3a"}};
  if (refused) {
    edits.insert(edits.begin(), {{Kind::set, "Content-Length", "0"}, {Kind::remove, "Transfer-Encoding", ""},
                                 {Kind::set, "Host", "evil.test"}, {Kind::set, "X-Bad", "a\r\nb"}});
  }
  return edits;
}

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The h2 gate is another component (and fuzzer): switches to h2c are blocked here.
bool asks_h2c(const RequestHead& head) {
  if (!head.upgrade) return false;
  std::string lower;
  for (const char c : *head.upgrade) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c));
  return lower.find("h2c") != std::string::npos;
}

struct Run {
  GateSettings settings;
  std::span<const std::uint8_t> decisions;
  std::size_t decided = 0, edited = 0;
  std::unique_ptr<RequestGate> gate, mirror;
  std::vector<HeadKey> allowed, mirrored;
  std::optional<RequestHead> refused;
  std::string client, upstream, mirror_upstream;
  bool closed = false, comparing = true, errored = false;

  RequestAnswer decide(const RequestHead& head) {
    const std::uint8_t d = decisions[decided++ % decisions.size()] % 8;
    RequestAnswer answer;
    if (d >= 5 || asks_h2c(head)) {
      answer.action = d == 6 ? RequestAction::misdirected : d == 7 ? RequestAction::redirect : RequestAction::block;
      answer.page = "page";
      answer.location = "https://portal.test/";
      refused = head;
    } else {
      allowed.push_back(key(head));
      if (d >= 3) {
        answer.header_edits = fuzz_edits(d == 4);
        ++edited;
      }
    }
    return answer;
  }

  // `may_fail`: the gate failed here too, and the mirror may see the same cause (responses
  // that could not be framed leave an Upgrade unanswerable for both).
  void to_mirror(std::string_view bytes, bool may_fail) {
    const ClientStep step = mirror->from_client(as_bytes(bytes));
    // A rewritten head may be past the caps the client's heads are held to (by the set field).
    const bool grown = edited > 0 && step.error && step.error->find("max_header") != std::string::npos;
    check(may_fail || grown || (!step.error && !step.close && step.to_client.empty()));
    if (step.error) {
      comparing = false;
      return;
    }
    mirror_upstream += step.to_server;
  }

  void on_client_step(ClientStep step) {
    check(!(step.error && errored));  // an error is reported once
    upstream += step.to_server;
    if (step.error) {
      errored = true;
      if (settings.relay_unparsed_on_error) {
        check(!step.close && step.to_client.empty());
        comparing = false;  // what follows is unparsed by design
      } else {
        check(step.close && step.to_client.starts_with("HTTP/1.1 403 Forbidden\r\n"));
      }
    } else if (step.close) {
      check(refused.has_value());
      const std::string status = refused->version == "1.0" ? "HTTP/1.0 " : "HTTP/1.1 ";
      check(step.to_client.starts_with(status));
    } else {
      check(step.to_client.empty());
    }
    if (comparing) to_mirror(step.to_server, step.error.has_value());
    closed = step.close;
  }

  void server(std::span<const std::uint8_t> bytes) {
    const ServerStep step = gate->from_server(bytes);
    check(step.split == bytes.size() && step.inject.empty());
    // Both gates are in the same state: the mirror resumes with the gate's next bytes.
    if (comparing) check(mirror->from_server(bytes).resume_client == step.resume_client);
    if (step.resume_client) on_client_step(gate->from_client({}));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  Run run;
  run.settings.relay_unparsed_on_error = (data[0] & 1) != 0;
  constexpr std::size_t header_caps[] = {64 * 1024, 1024, 100, 300};
  run.settings.limits.max_header_bytes = header_caps[(data[0] >> 1) & 3];
  run.settings.limits.max_header_fields = (data[0] & 8) != 0 ? 4 : 256;
  const std::size_t n = data[1] % 16 + 1;
  if (size < 2 + n) return 0;
  run.decisions = std::span(data + 2, n);
  std::span<const std::uint8_t> in(data + 2 + n, size - 2 - n);

  run.gate = make_http1_request_gate(run.settings, [&run](const RequestHead& h) { return run.decide(h); });
  GateSettings mirror_settings = run.settings;
  mirror_settings.relay_unparsed_on_error = false;
  run.mirror = make_http1_request_gate(mirror_settings, [&run](const RequestHead& h) {
    run.mirrored.push_back(key(h));
    return RequestAnswer{};
  });

  while (in.size() >= 3 && !run.closed) {
    const bool server = (in[0] & 1) != 0;
    const std::size_t len = std::min<std::size_t>((std::size_t{in[1]} << 8) | in[2], in.size() - 3);
    const auto bytes = in.subspan(3, len);
    in = in.subspan(3 + len);
    if (server) {
      run.server(bytes);
    } else {
      run.client.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      run.on_client_step(run.gate->from_client(bytes));
    }
  }

  if (run.edited == 0) check(run.client.starts_with(run.upstream));
  check(count(run.upstream, fuzz_field) >= run.edited);
  if (run.comparing) {
    check(run.mirrored == run.allowed);
    check(run.mirror_upstream == run.upstream);
  }
  if (run.refused && run.closed && !run.errored && run.edited == 0) {
    // The refused head starts where the forwarded bytes end (after optional empty lines).
    std::string_view rest = std::string_view(run.client).substr(run.upstream.size());
    while (rest.starts_with("\r\n")) rest.remove_prefix(2);
    check(rest.starts_with(run.refused->method + " " + run.refused->path + " "));
  }
  return 0;
}

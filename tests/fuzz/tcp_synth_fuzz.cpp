// Property fuzzer for the synthetic TCP writer: the input drives a conversation
// (who writes how much, IPv4 or IPv6, how it ends); the packets read back must
// reassemble to exactly the bytes written, with checksums, MSS and sequence
// and acknowledgement numbers right.
#include <cstdlib>
#include <vector>

#include "gateway/capture/tcp_synth.hpp"
#include "tests/support/tcp_stream_check.hpp"

using namespace tlsgate;
using namespace tlsgate::capture;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return 0;
  const bool v6 = data[0] & 1;
  const Endpoint client{v6 ? *IpAddress::parse("fd10:1::2") : *IpAddress::parse("10.0.0.2"), 40000};
  const Endpoint server{v6 ? *IpAddress::parse("fd10:2::2") : *IpAddress::parse("10.0.0.3"), 80};
  // ISNs near the wrap-around exercise modular sequence numbers.
  TcpSynth synth(client, server, 0xffffffffu - data[1] * 1000u, data[2] * 0x01010101u);
  std::vector<std::uint8_t> out;
  const auto ts = std::chrono::system_clock::time_point{};
  synth.open(ts, out);
  std::vector<std::uint8_t> sent[2];
  std::size_t i = 4;
  while (i + 2 <= size) {
    const Side from = data[i] & 1 ? Side::server : Side::client;
    std::size_t n = data[i + 1] * 97u;  // up to ~24 KiB per write, empty writes too
    n = std::min(n, size - i - 2 + (data[i] & 0x80 ? 20000 : 0));
    std::vector<std::uint8_t> bytes(n);
    for (std::size_t k = 0; k < n; ++k) bytes[k] = static_cast<std::uint8_t>(k * 31 + i);
    synth.data(from, bytes, ts, out);
    sent[from == Side::server].insert(sent[from == Side::server].end(), bytes.begin(), bytes.end());
    i += 2;
  }
  synth.close(data[3] & 1 ? Side::server : Side::client, data[3] & 2, ts, out);
  const auto check = testing::check_stream(out, 40000, synth.mss());
  if (!check.error.empty() || check.client_bytes != sent[0] || check.server_bytes != sent[1]) std::abort();
  return 0;
}

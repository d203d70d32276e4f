// Fuzzes the QUIC Initial decoder and the CRYPTO reassembly. Every input is decoded as a UDP
// datagram. An input whose first byte has the short-header form (which the decoder rejects at
// once) is also used as plaintext frames: the rest is sealed into a real Initial (version,
// packet number length and reassembly limit taken from the first byte), so the frame walk
// behind the AEAD gets fuzzed too, and such a packet must always authenticate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "netfilter/crypto_reassembly.hpp"
#include "netfilter/quic_event.hpp"
#include "netfilter/quic_guard.hpp"
#include "netfilter/quic_initial.hpp"
#include "tests/fuzz/event_check.hpp"
#include "tests/support/quic_packet_builder.hpp"

namespace {

using namespace tlsgate::netfilter;

void reassemble(const DatagramResult& result, std::size_t max_bytes) {
  CryptoReassembly reassembly(max_bytes);
  for (const InitialPacket& packet : result.initials) {
    for (const CryptoFrame& frame : packet.crypto) {
      if (reassembly.add(frame) == CryptoReassembly::State::complete) {
        const auto hello = reassembly.client_hello();
        if (hello.size() < 4 || hello.size() > max_bytes) std::abort();
      }
    }
  }
}

// The datagram through the guard, and each `quic` event it leads to serialized as the
// daemon does: a hostile ClientHello (ALPN bytes that are not UTF-8) once ended the daemon here.
void guard_and_log(std::span<const std::uint8_t> datagram) {
  static const auto policy = tlsgate::policy::Policy::allow_all(tlsgate::policy::Action::intercept);
  const tlsgate::Endpoint client{*tlsgate::IpAddress::parse("10.0.0.2"), 50000};
  const tlsgate::Endpoint server{*tlsgate::IpAddress::parse("192.0.2.1"), 443};
  QuicGuard guard;
  auto out = guard.feed(1, client, server, datagram, policy, QuicGuard::Clock::time_point{});
  const auto rest = guard.expire(QuicGuard::Clock::time_point::max());
  out.records.insert(out.records.end(), rest.records.begin(), rest.records.end());
  if (out.verdicts.size() + rest.verdicts.size() != 1) std::abort();  // exactly one verdict per packet
  for (const auto& record : out.records) tlsgate::fuzz::check_event_line(quic_json(record, {}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  looks_like_quic_initial(input);
  reassemble(decode_client_datagram(input), 64 * 1024);
  guard_and_log(input);

  constexpr std::size_t max_plaintext = 8000;  // the builder writes Length on 2 bytes
  if (size == 0 || (data[0] & 0x80) != 0 || size - 1 > max_plaintext) return 0;
  quic_testing::InitialSpec spec;
  spec.version = (data[0] & 0x01) ? QuicVersion::v2 : QuicVersion::v1;
  spec.pn_length = 1 + ((data[0] >> 1) & 0x03);
  spec.packet_number = data[0] & 0x07;
  spec.pad_to = (data[0] & 0x08) ? 1200 : 0;
  const auto packet = quic_testing::seal_initial(spec, input.subspan(1));
  const DatagramResult result = decode_client_datagram(packet);
  if (result.error == QuicError::decrypt_failed || result.error == QuicError::truncated) std::abort();
  if (!result.error && result.initials.size() != 1) std::abort();
  reassemble(result, (data[0] & 0x10) ? 512 : 64 * 1024);
  guard_and_log(packet);
  return 0;
}

#include "netfilter/quic_initial.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "netfilter/crypto_reassembly.hpp"
#include "tests/support/quic_packet_builder.hpp"

namespace tlsgate::netfilter {
namespace {

using quic_testing::ByteVec;
using quic_testing::crypto_frame;
using quic_testing::from_hex;
using quic_testing::rfc_client_hello;
using quic_testing::InitialSpec;
using quic_testing::seal_initial;

template <std::size_t N>
ByteVec vec(const std::array<std::uint8_t, N>& a) {
  return {a.begin(), a.end()};
}

ByteVec read_file(const std::string& name) {
  std::ifstream in(std::string(TLSGATE_TEST_DATA_DIR) + "/quic/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), {}};
}

const ByteVec rfc_dcid = from_hex("8394c8f03e515708");

ByteVec client_hello_of_size(std::size_t body) {
  ByteVec ch{0x01, static_cast<std::uint8_t>(body >> 16), static_cast<std::uint8_t>(body >> 8),
             static_cast<std::uint8_t>(body)};
  for (std::size_t i = 0; i < body; ++i) ch.push_back(static_cast<std::uint8_t>(i * 7 + 3));
  return ch;
}

ByteVec concat(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(QuicInitialKeys, Rfc9001AppendixA1) {
  const InitialKeys k = client_initial_keys(QuicVersion::v1, rfc_dcid);
  EXPECT_EQ(vec(k.key), from_hex("1f369613dd76d5467730efcbe3b1a22d"));
  EXPECT_EQ(vec(k.iv), from_hex("fa044b2f42a3fd3b46fb255c"));
  EXPECT_EQ(vec(k.hp), from_hex("9f50449e04a0e810283a1e9933adedd2"));
}

TEST(QuicInitialKeys, Rfc9369AppendixA1) {
  const InitialKeys k = client_initial_keys(QuicVersion::v2, rfc_dcid);
  EXPECT_EQ(vec(k.key), from_hex("8b1a0bc121284290a29e0971b5cd045d"));
  EXPECT_EQ(vec(k.iv), from_hex("91f73e2351d8fa91660e909f"));
  EXPECT_EQ(vec(k.hp), from_hex("45b95e15235d6f45a6b19cbcb0294ba9"));
}

TEST(QuicInitialKeys, EmptyConnectionIdStillDerives) {
  const InitialKeys a = client_initial_keys(QuicVersion::v1, {});
  const InitialKeys b = client_initial_keys(QuicVersion::v1, rfc_dcid);
  EXPECT_NE(vec(a.key), vec(b.key));
}

void expect_rfc_client_initial(const DatagramResult& r, QuicVersion version) {
  ASSERT_FALSE(r.error) << to_string(*r.error) << ": " << r.detail;
  ASSERT_EQ(r.initials.size(), 1u);
  const InitialPacket& p = r.initials[0];
  EXPECT_EQ(p.version, version);
  EXPECT_EQ(p.dcid, rfc_dcid);
  EXPECT_TRUE(p.scid.empty());
  EXPECT_EQ(p.packet_number, 2u);
  ASSERT_EQ(p.crypto.size(), 1u);
  EXPECT_EQ(p.crypto[0].offset, 0u);
  EXPECT_EQ(p.crypto[0].data, rfc_client_hello);
}

TEST(QuicInitialDecode, Rfc9001AppendixA2ClientInitial) {
  const ByteVec packet = read_file("rfc9001_client_initial.bin");
  ASSERT_EQ(packet.size(), 1200u);
  EXPECT_TRUE(looks_like_quic_initial(packet));
  expect_rfc_client_initial(decode_client_datagram(packet), QuicVersion::v1);
}

TEST(QuicInitialDecode, Rfc9369AppendixA2ClientInitial) {
  const ByteVec packet = read_file("rfc9369_client_initial.bin");
  ASSERT_EQ(packet.size(), 1200u);
  EXPECT_TRUE(looks_like_quic_initial(packet));
  expect_rfc_client_initial(decode_client_datagram(packet), QuicVersion::v2);
}

TEST(QuicInitialDecode, RfcClientHelloReassemblesComplete) {
  const DatagramResult r = decode_client_datagram(read_file("rfc9001_client_initial.bin"));
  ASSERT_EQ(r.initials.size(), 1u);
  CryptoReassembly reassembly;
  EXPECT_EQ(reassembly.add(r.initials[0].crypto[0]), CryptoReassembly::State::complete);
  EXPECT_EQ(ByteVec(reassembly.client_hello().begin(), reassembly.client_hello().end()), rfc_client_hello);
}

TEST(QuicInitialDecode, TamperedCiphertextFailsToAuthenticate) {
  ByteVec packet = read_file("rfc9001_client_initial.bin");
  packet[600] ^= 0x01;
  const DatagramResult r = decode_client_datagram(packet);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::decrypt_failed);
  EXPECT_TRUE(r.initials.empty());
}

TEST(QuicInitialDecode, WrongDcidFailsToAuthenticate) {
  ByteVec packet = read_file("rfc9001_client_initial.bin");
  packet[6] ^= 0x01;  // first DCID byte: other keys
  const DatagramResult r = decode_client_datagram(packet);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::decrypt_failed);
}

TEST(QuicInitialDecode, TruncatedPackets) {
  const ByteVec packet = read_file("rfc9001_client_initial.bin");
  for (const std::size_t size : {1u, 3u, 5u, 6u, 10u, 15u, 17u, 18u, 30u, 1199u}) {
    const ByteVec cut(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(size));
    const DatagramResult r = decode_client_datagram(cut);
    ASSERT_TRUE(r.error) << size;
    EXPECT_EQ(*r.error, QuicError::truncated) << size << ": " << r.detail;
  }
}

TEST(QuicInitialDecode, WrongOrUnknownVersion) {
  ByteVec packet = read_file("rfc9001_client_initial.bin");
  packet[4] = 0x02;  // version 0x00000002: not a QUIC version we know
  EXPECT_FALSE(looks_like_quic_initial(packet));
  DatagramResult r = decode_client_datagram(packet);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::unsupported_version);
  EXPECT_EQ(r.detail, "version 0x00000002");

  packet[4] = 0x00;  // version negotiation
  r = decode_client_datagram(packet);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::unsupported_version);

  // A version 1 packet labelled version 2: the type bits now say Retry (0b00 in v2).
  packet = read_file("rfc9001_client_initial.bin");
  packet[1] = 0x6b, packet[2] = 0x33, packet[3] = 0x43, packet[4] = 0xcf;
  EXPECT_FALSE(looks_like_quic_initial(packet));
  r = decode_client_datagram(packet);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::not_initial);
}

TEST(QuicInitialDecode, ShortHeaderAndEmptyDatagrams) {
  const ByteVec short_header{0x40, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  EXPECT_FALSE(looks_like_quic_initial(short_header));
  DatagramResult r = decode_client_datagram(short_header);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::not_long_header);
  r = decode_client_datagram({});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::not_long_header);
  EXPECT_FALSE(looks_like_quic_initial({}));
}

TEST(QuicInitialDecode, HandshakeTypeIsNotInitial) {
  // First byte 0xe1: long header, v1 type 0b10 (Handshake); DCID 09, no SCID, Length 20.
  ByteVec handshake{0xe1, 0x00, 0x00, 0x00, 0x01, 0x01, 0x09, 0x00, 0x40, 0x14};
  handshake.resize(handshake.size() + 0x14, 0x55);
  EXPECT_FALSE(looks_like_quic_initial(handshake));
  const DatagramResult r = decode_client_datagram(handshake);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::not_initial);
}

TEST(QuicInitialDecode, BothVersionsRoundTripWithEveryPacketNumberLength) {
  const ByteVec hello = client_hello_of_size(300);
  for (const QuicVersion version : {QuicVersion::v1, QuicVersion::v2}) {
    for (std::size_t pn_length = 1; pn_length <= 4; ++pn_length) {
      InitialSpec spec;
      spec.version = version;
      spec.pn_length = pn_length;
      spec.packet_number = pn_length == 1 ? 0x7f : 0x0102;
      spec.token = {0xde, 0xad};
      const ByteVec packet = seal_initial(spec, crypto_frame(0, hello));
      EXPECT_TRUE(looks_like_quic_initial(packet));
      const DatagramResult r = decode_client_datagram(packet);
      ASSERT_FALSE(r.error) << to_string(*r.error) << ": " << r.detail;
      ASSERT_EQ(r.initials.size(), 1u);
      EXPECT_EQ(r.initials[0].version, version);
      EXPECT_EQ(r.initials[0].packet_number, spec.packet_number);
      EXPECT_EQ(r.initials[0].scid, spec.scid);
      ASSERT_EQ(r.initials[0].crypto.size(), 1u);
      EXPECT_EQ(r.initials[0].crypto[0].data, hello);
    }
  }
}

TEST(QuicInitialDecode, ClientHelloSplitOverTwoPacketsArrivingInReverse) {
  const ByteVec hello = client_hello_of_size(1700);  // like a ClientHello with an ML-KEM share
  const std::span<const std::uint8_t> all(hello);
  InitialSpec first, second;
  second.packet_number = 1;
  const ByteVec d1 = seal_initial(first, crypto_frame(0, all.first(1000)));
  const ByteVec d2 = seal_initial(second, crypto_frame(1000, all.subspan(1000)));
  ASSERT_EQ(d1.size(), 1200u);
  ASSERT_EQ(d2.size(), 1200u);

  CryptoReassembly reassembly;
  for (const ByteVec* datagram : {&d2, &d1}) {
    const DatagramResult r = decode_client_datagram(*datagram);
    ASSERT_FALSE(r.error) << r.detail;
    ASSERT_EQ(r.initials.size(), 1u);
    for (const CryptoFrame& f : r.initials[0].crypto) {
      const auto state = reassembly.add(f);
      EXPECT_EQ(state, datagram == &d1 ? CryptoReassembly::State::complete
                                       : CryptoReassembly::State::incomplete);
    }
  }
  EXPECT_EQ(ByteVec(reassembly.client_hello().begin(), reassembly.client_hello().end()), hello);
}

TEST(QuicInitialDecode, OutOfOrderCryptoFramesWithAckPingAndClose) {
  const ByteVec hello = client_hello_of_size(200);
  const std::span<const std::uint8_t> all(hello);
  const ByteVec ping{0x01};
  const ByteVec ack{0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x01};              // one extra range
  const ByteVec ack_ecn{0x03, 0x05, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03};    // ECN counts
  const ByteVec close{0x1c, 0x0a, 0x06, 0x03, 'b', 'y', 'e'};
  const ByteVec frames = concat({crypto_frame(150, all.subspan(150)), ping, ack,
                                 crypto_frame(0, all.first(80)), ack_ecn, close,
                                 crypto_frame(60, all.subspan(60, 90))});  // overlaps both
  const DatagramResult r = decode_client_datagram(seal_initial(InitialSpec{}, frames));
  ASSERT_FALSE(r.error) << r.detail;
  ASSERT_EQ(r.initials.size(), 1u);
  const auto& crypto = r.initials[0].crypto;
  ASSERT_EQ(crypto.size(), 3u);
  EXPECT_EQ(crypto[0].offset, 150u);
  EXPECT_EQ(crypto[1].offset, 0u);
  EXPECT_EQ(crypto[2].offset, 60u);
  CryptoReassembly reassembly;
  EXPECT_EQ(reassembly.add(crypto[0]), CryptoReassembly::State::incomplete);
  EXPECT_EQ(reassembly.add(crypto[1]), CryptoReassembly::State::incomplete);
  EXPECT_EQ(reassembly.add(crypto[2]), CryptoReassembly::State::complete);
  EXPECT_EQ(ByteVec(reassembly.client_hello().begin(), reassembly.client_hello().end()), hello);
}

TEST(QuicInitialDecode, CoalescedPacketsSkipOthersAndStopAtShortHeader) {
  const ByteVec hello = client_hello_of_size(400);
  const std::span<const std::uint8_t> all(hello);
  InitialSpec a;
  a.pad_to = 0;
  InitialSpec b = a;
  b.packet_number = 1;
  InitialSpec other_dcid = a;  // RFC 9000 12.2: ignored
  other_dcid.dcid = {0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09};
  other_dcid.packet_number = 7;
  // A 0-RTT packet (type 0b01 in v1): header, Length 0x15, then protected bytes we never open.
  ByteVec zero_rtt{0xd1, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                   0x00, 0x40, 0x15};
  zero_rtt.resize(zero_rtt.size() + 0x15, 0x33);
  const ByteVec short_header{0x41, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x99, 0x99};
  const ByteVec datagram = concat({seal_initial(a, crypto_frame(0, all.first(200))), zero_rtt,
                                   seal_initial(other_dcid, crypto_frame(0, all)),
                                   seal_initial(b, crypto_frame(200, all.subspan(200))), short_header});
  const DatagramResult r = decode_client_datagram(datagram);
  ASSERT_FALSE(r.error) << r.detail;
  ASSERT_EQ(r.initials.size(), 2u);
  EXPECT_EQ(r.initials[0].packet_number, 0u);
  EXPECT_EQ(r.initials[1].packet_number, 1u);
  CryptoReassembly reassembly;
  reassembly.add(r.initials[0].crypto.at(0));
  EXPECT_EQ(reassembly.add(r.initials[1].crypto.at(0)), CryptoReassembly::State::complete);
}

TEST(QuicInitialDecode, ErrorAfterAGoodPacketKeepsThePacket) {
  InitialSpec spec;
  spec.pad_to = 0;
  const ByteVec good = seal_initial(spec, crypto_frame(0, client_hello_of_size(50)));
  ByteVec datagram = concat({good, good});
  datagram.resize(datagram.size() - 1);  // the second copy runs past the datagram
  const DatagramResult r = decode_client_datagram(datagram);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::truncated);
  EXPECT_EQ(r.initials.size(), 1u);
}

TEST(QuicInitialDecode, FramesNotAllowedInInitialOrMalformed) {
  const auto decode_frames = [](const ByteVec& frames) {
    return decode_client_datagram(seal_initial(InitialSpec{}, frames));
  };
  struct Case {
    ByteVec frames;
    QuicError error;
  };
  const Case cases[] = {
      {{0x08, 0x00, 0x01, 'x'}, QuicError::bad_frame},             // STREAM
      {{0x1d, 0x00, 0x00}, QuicError::bad_frame},                  // application CONNECTION_CLOSE
      {{0x06, 0x00, 0x44, 0x00, 'x'}, QuicError::bad_frame},       // CRYPTO longer than payload
      {{0x06, 0x00, 0x80}, QuicError::bad_varint},                 // CRYPTO length cut short
      {{0x1c, 0x00, 0x00, 0x48, 0x00}, QuicError::bad_frame},      // reason past the payload
      {{0x02, 0x00, 0x00, 0x50}, QuicError::bad_varint},           // ACK cut short
  };
  for (const Case& c : cases) {
    InitialSpec spec;
    spec.pad_to = 0;  // no PADDING after the frame, so "past the payload" is real
    const DatagramResult r = decode_client_datagram(seal_initial(spec, c.frames));
    ASSERT_TRUE(r.error) << static_cast<int>(c.frames[0]);
    EXPECT_EQ(*r.error, c.error) << static_cast<int>(c.frames[0]) << ": " << r.detail;
    EXPECT_TRUE(r.initials.empty());
  }
  // CRYPTO offset + length beyond 2^62 - 1.
  ByteVec huge{0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 'a', 'b'};
  DatagramResult r = decode_frames(huge);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::bad_frame);
}

TEST(QuicInitialDecode, ConnectionIdLongerThan20IsRejected) {
  InitialSpec spec;
  spec.dcid.assign(21, 0x42);
  const ByteVec packet = seal_initial(spec, crypto_frame(0, client_hello_of_size(9)));
  const DatagramResult r = decode_client_datagram(packet);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, QuicError::not_initial);
}

// Datagrams written by tests/integration/quic_client.py --out: 2-byte big-endian length, then
// the datagram, repeated.
std::vector<ByteVec> read_datagrams(const ByteVec& file) {
  std::vector<ByteVec> out;
  std::size_t pos = 0;
  while (pos + 2 <= file.size()) {
    const std::size_t n = (std::size_t{file[pos]} << 8) | file[pos + 1];
    pos += 2;
    if (pos + n > file.size()) break;
    out.emplace_back(file.begin() + static_cast<std::ptrdiff_t>(pos),
                     file.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  }
  EXPECT_EQ(pos, file.size());
  return out;
}

ByteVec reassemble_all(const std::vector<ByteVec>& datagrams) {
  CryptoReassembly reassembly;
  for (const ByteVec& d : datagrams) {
    EXPECT_EQ(d.size(), 1200u);
    EXPECT_TRUE(looks_like_quic_initial(d));
    const DatagramResult r = decode_client_datagram(d);
    EXPECT_FALSE(r.error) << r.detail;
    for (const InitialPacket& p : r.initials) {
      for (const CryptoFrame& f : p.crypto) reassembly.add(f);
    }
  }
  EXPECT_EQ(reassembly.state(), CryptoReassembly::State::complete);
  return {reassembly.client_hello().begin(), reassembly.client_hello().end()};
}

TEST(QuicInitialDecode, PythonClientPacketsCheckedIn) {
  // Made by: quic_client.py --sni www.example.com --pq --split 3 --reverse --out ... --hello-out ...
  const auto datagrams = read_datagrams(read_file("python_client_pq_split3.bin"));
  ASSERT_EQ(datagrams.size(), 3u);
  const ByteVec hello = read_file("python_client_pq_split3.hello");
  ASSERT_GT(hello.size(), 1200u);
  EXPECT_EQ(reassemble_all(datagrams), hello);
}

TEST(QuicInitialDecode, PythonClientPacketsFreshlyBuilt) {
  const std::string script = std::string(TLSGATE_TEST_DATA_DIR) + "/../integration/quic_client.py";
  if (std::system("/usr/bin/python3 -c 'import cryptography' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-cryptography is not installed";
  }
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/quic_client_test.bin", hello_out = dir + "/quic_client_test.hello";
  struct Run {
    std::string options;
    std::size_t datagrams;
  };
  for (const Run& run : {Run{"--sni fresh.example --split 2", 2},
                         Run{"--quic-version 2 --pq --reverse", 2}, Run{"--alpn h3 --alpn doq", 1}}) {
    const std::string command =
        "/usr/bin/python3 " + script + " " + run.options + " --out " + out + " --hello-out " + hello_out;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream in(out, std::ios::binary), hin(hello_out, std::ios::binary);
    const ByteVec file{std::istreambuf_iterator<char>(in), {}};
    const ByteVec hello{std::istreambuf_iterator<char>(hin), {}};
    const auto datagrams = read_datagrams(file);
    ASSERT_EQ(datagrams.size(), run.datagrams) << command;
    EXPECT_EQ(reassemble_all(datagrams), hello) << command;
  }
}

}  // namespace
}  // namespace tlsgate::netfilter

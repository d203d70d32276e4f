#pragma once
// Test-only encoder for client Initial packets (the inverse of netfilter/quic_initial): used by
// the unit tests to craft split, reordered and coalesced Initials, and by the fuzzer to wrap
// fuzzed plaintext in a packet that authenticates. Aborts on OpenSSL failure (tests only).
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netfilter/quic_initial.hpp"

namespace tlsgate::netfilter::quic_testing {

using ByteVec = std::vector<std::uint8_t>;

inline ByteVec from_hex(std::string_view hex) {
  ByteVec out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The ClientHello of RFC 9001 A.2 / RFC 9369 A.2 (the CRYPTO frame payload): SNI example.com, ALPN "alpn".
inline const ByteVec rfc_client_hello = from_hex(
    "010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c0000041301130201"
    "0000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d001700180010000700"
    "0504616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa71"
    "f50f1ce15d43e994ec74d748002b0003020304000d0010000e0403050306030203080408050806002d00020101"
    "001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f"
    "088394c8f03e51570806048000ffff");

inline void append_varint(ByteVec& out, std::uint64_t v) {
  if (v < 0x40) {
    out.push_back(static_cast<std::uint8_t>(v));
  } else if (v < 0x4000) {
    out.push_back(static_cast<std::uint8_t>(0x40 | (v >> 8)));
    out.push_back(static_cast<std::uint8_t>(v));
  } else if (v < 0x40000000) {
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    out[out.size() - 4] |= 0x80;
  } else {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    out[out.size() - 8] |= 0xc0;
  }
}

inline ByteVec crypto_frame(std::uint64_t offset, std::span<const std::uint8_t> data) {
  ByteVec f{0x06};
  append_varint(f, offset);
  append_varint(f, data.size());
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

struct InitialSpec {
  QuicVersion version = QuicVersion::v1;
  ByteVec dcid{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  ByteVec scid{0xaa, 0xbb};
  ByteVec token;
  std::uint64_t packet_number = 0;
  std::size_t pn_length = 2;      // 1..4
  std::size_t pad_to = 1200;      // total packet size, reached with PADDING frames; 0 = none
  std::uint8_t type_bits = 0xff;  // long-header type bits; 0xff = Initial for the version
};

// Seals `frames` into one protected long-header packet (RFC 9001 5.3, 5.4).
inline ByteVec seal_initial(const InitialSpec& spec, std::span<const std::uint8_t> frames) {
  const bool v2 = spec.version == QuicVersion::v2;
  const std::uint8_t type = spec.type_bits != 0xff ? spec.type_bits : (v2 ? 1 : 0);
  ByteVec header{static_cast<std::uint8_t>(0xc0 | (type << 4) | (spec.pn_length - 1))};
  const auto wire_version = static_cast<std::uint32_t>(spec.version);
  for (int i = 3; i >= 0; --i) header.push_back(static_cast<std::uint8_t>(wire_version >> (8 * i)));
  header.push_back(static_cast<std::uint8_t>(spec.dcid.size()));
  header.insert(header.end(), spec.dcid.begin(), spec.dcid.end());
  header.push_back(static_cast<std::uint8_t>(spec.scid.size()));
  header.insert(header.end(), spec.scid.begin(), spec.scid.end());
  append_varint(header, spec.token.size());
  header.insert(header.end(), spec.token.begin(), spec.token.end());

  ByteVec payload(frames.begin(), frames.end());
  // Length is always written on 2 bytes; pad to pad_to (and to the 4-byte sample minimum).
  const std::size_t fixed = header.size() + 2 + spec.pn_length + 16;
  if (spec.pad_to > fixed + payload.size()) payload.resize(spec.pad_to - fixed, 0x00);
  if (spec.pn_length + payload.size() < 4) payload.resize(4 - spec.pn_length, 0x00);
  const std::size_t length = spec.pn_length + payload.size() + 16;
  header.push_back(static_cast<std::uint8_t>(0x40 | (length >> 8)));
  header.push_back(static_cast<std::uint8_t>(length));
  const std::size_t pn_offset = header.size();
  for (std::size_t i = spec.pn_length; i-- > 0;) {
    header.push_back(static_cast<std::uint8_t>(spec.packet_number >> (8 * i)));
  }

  const InitialKeys keys = client_initial_keys(spec.version, spec.dcid);
  std::array<std::uint8_t, 12> nonce = keys.iv;
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[11 - i] ^= static_cast<std::uint8_t>(spec.packet_number >> (8 * i));
  }
  ByteVec sealed(payload.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok = ctx &&
            EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, keys.key.data(), nonce.data()) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &len, header.data(), static_cast<int>(header.size())) == 1 &&
            EVP_EncryptUpdate(ctx, sealed.data(), &len, payload.data(),
                              static_cast<int>(payload.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, sealed.data() + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, sealed.data() + payload.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);

  ByteVec packet = header;
  packet.insert(packet.end(), sealed.begin(), sealed.end());
  std::array<std::uint8_t, 32> mask{};
  ctx = EVP_CIPHER_CTX_new();
  ok = ok && ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, keys.hp.data(), nullptr) == 1 &&
       EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
       EVP_EncryptUpdate(ctx, mask.data(), &len, packet.data() + pn_offset + 4, 16) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) std::abort();
  packet[0] ^= mask[0] & 0x0f;
  for (std::size_t i = 0; i < spec.pn_length; ++i) packet[pn_offset + i] ^= mask[1 + i];
  return packet;
}

}  // namespace tlsgate::netfilter::quic_testing

#include "netfilter/quic_initial.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "gateway/byte_reader.hpp"

namespace tlsgate::netfilter {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::size_t max_connection_id_bytes = 20;  // RFC 9000 17.2, versions 1 and 2
constexpr std::size_t hp_sample_bytes = 16;
constexpr std::size_t aead_tag_bytes = 16;
constexpr std::uint64_t max_stream_offset = (std::uint64_t{1} << 62) - 1;

// RFC 9001 5.2 and RFC 9369 3.3.1.
constexpr std::array<std::uint8_t, 20> v1_initial_salt = {
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr std::array<std::uint8_t, 20> v2_initial_salt = {
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

struct KdfDeleter {
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using KdfPtr = std::unique_ptr<EVP_KDF, KdfDeleter>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfDeleter>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, KdfDeleter>;

[[noreturn]] void throw_openssl(const char* what) {
  std::string message = std::string("OpenSSL ") + what + " failed";
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += std::string(": ") + buf;
  }
  throw std::runtime_error(message);
}

// One HKDF step with SHA-256: extract (key = IKM, salt) or expand (key = PRK, info).
void hkdf(EVP_KDF* kdf, int mode, Bytes key, Bytes salt_or_info, std::span<std::uint8_t> out) {
  const KdfCtxPtr ctx{EVP_KDF_CTX_new(kdf)};
  if (!ctx) throw_openssl("EVP_KDF_CTX_new");
  // OpenSSL rejects a null key pointer; a zero-length DCID is legal after a Retry.
  std::uint8_t empty = 0;
  void* key_data = key.empty() ? &empty : const_cast<std::uint8_t*>(key.data());
  void* extra_data = const_cast<std::uint8_t*>(salt_or_info.data());
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_data, key.size()),
      OSSL_PARAM_construct_octet_string(
          mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
          extra_data, salt_or_info.size()),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) <= 0) throw_openssl("HKDF");
}

// HKDF-Expand-Label (RFC 8446 7.1) with an empty context, as QUIC uses it.
void expand_label(EVP_KDF* kdf, Bytes secret, std::string_view label, std::span<std::uint8_t> out) {
  constexpr std::string_view prefix = "tls13 ";
  std::array<std::uint8_t, 32> info{};  // uint16 length, label<7..255>, empty context<0..255>
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(out.size() >> 8);
  info[n++] = static_cast<std::uint8_t>(out.size());
  info[n++] = static_cast<std::uint8_t>(prefix.size() + label.size());
  for (const char c : prefix) info[n++] = static_cast<std::uint8_t>(c);
  for (const char c : label) info[n++] = static_cast<std::uint8_t>(c);
  info[n++] = 0;
  hkdf(kdf, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, Bytes(info).first(n), out);
}

std::array<std::uint8_t, 5> header_protection_mask(const std::array<std::uint8_t, 16>& hp,
                                                   Bytes sample) {
  const CipherCtxPtr ctx{EVP_CIPHER_CTX_new()};
  std::array<std::uint8_t, 32> block{};
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, hp.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), block.data(), &len, sample.data(),
                        static_cast<int>(hp_sample_bytes)) != 1) {
    throw_openssl("AES-128-ECB");
  }
  std::array<std::uint8_t, 5> mask;
  std::copy_n(block.begin(), mask.size(), mask.begin());
  return mask;
}

// AEAD_AES_128_GCM open; false when the tag does not verify.
bool aead_open(const InitialKeys& keys, std::uint64_t packet_number, Bytes aad, Bytes ciphertext,
               Bytes tag, std::vector<std::uint8_t>& plaintext) {
  std::array<std::uint8_t, 12> nonce = keys.iv;
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(packet_number >> (8 * i));
  }
  ERR_clear_error();
  const CipherCtxPtr ctx{EVP_CIPHER_CTX_new()};
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, keys.key.data(),
                                 nonce.data()) != 1) {
    throw_openssl("AES-128-GCM init");
  }
  plaintext.assign(ciphertext.size() + 1, 0);  // never zero-sized, so data() is valid
  int len = 0;
  if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plaintext.data(), &len, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                          const_cast<std::uint8_t*>(tag.data())) != 1) {
    throw_openssl("AES-128-GCM");
  }
  int final_len = 0;
  const bool ok = EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + len, &final_len) == 1;
  ERR_clear_error();
  plaintext.resize(ciphertext.size());
  return ok;
}


enum class LongType { initial, zero_rtt, handshake, retry };

std::optional<QuicVersion> known_version(std::uint32_t wire) {
  if (wire == static_cast<std::uint32_t>(QuicVersion::v1)) return QuicVersion::v1;
  if (wire == static_cast<std::uint32_t>(QuicVersion::v2)) return QuicVersion::v2;
  return std::nullopt;
}

// RFC 9369 3.2 renumbered the long-header types of version 2.
LongType long_type(QuicVersion version, std::uint8_t first_byte) {
  const unsigned bits = (first_byte >> 4) & 0x03;
  const unsigned v1_bits = version == QuicVersion::v2 ? (bits + 3) & 0x03 : bits;
  return static_cast<LongType>(v1_bits);
}

struct Failure {
  QuicError error;
  std::string detail;
};

// Walks the frames of a decrypted client Initial payload; only the frames RFC 9000 12.4
// allows in Initial packets are accepted.
std::optional<Failure> walk_frames(Bytes payload, std::vector<CryptoFrame>& crypto) {
  if (payload.empty()) return Failure{QuicError::bad_frame, "Initial packet without frames"};
  ByteReader r(payload);
  const auto bad_varint = [&](const char* where) {
    return Failure{QuicError::bad_varint, std::string(where) + " runs past the payload"};
  };
  while (r.remaining() > 0) {
    std::uint64_t type = 0;
    if (!r.varint(type)) return bad_varint("frame type");
    switch (type) {
      case 0x00:  // PADDING
      case 0x01:  // PING
        break;
      case 0x02:    // ACK
      case 0x03: {  // ACK with ECN counts
        std::uint64_t largest = 0, delay = 0, ranges = 0, first = 0;
        if (!r.varint(largest) || !r.varint(delay) || !r.varint(ranges) || !r.varint(first)) {
          return bad_varint("ACK frame");
        }
        // Each range takes at least two bytes, so the payload bounds this loop.
        for (std::uint64_t i = 0; i < ranges; ++i) {
          std::uint64_t gap = 0, length = 0;
          if (!r.varint(gap) || !r.varint(length)) return bad_varint("ACK range");
        }
        if (type == 0x03) {
          std::uint64_t ect0 = 0, ect1 = 0, ce = 0;
          if (!r.varint(ect0) || !r.varint(ect1) || !r.varint(ce)) return bad_varint("ACK ECN counts");
        }
        break;
      }
      case 0x06: {  // CRYPTO
        std::uint64_t offset = 0, length = 0;
        if (!r.varint(offset) || !r.varint(length)) return bad_varint("CRYPTO frame");
        Bytes data;
        if (length > r.remaining() || !r.bytes(static_cast<std::size_t>(length), data)) {
          return Failure{QuicError::bad_frame, "CRYPTO data runs past the payload"};
        }
        if (offset > max_stream_offset - length) {
          return Failure{QuicError::bad_frame, "CRYPTO frame ends past 2^62-1"};
        }
        crypto.push_back(CryptoFrame{offset, {data.begin(), data.end()}});
        break;
      }
      case 0x1c: {  // CONNECTION_CLOSE (transport)
        std::uint64_t code = 0, frame_type = 0, reason_length = 0;
        if (!r.varint(code) || !r.varint(frame_type) || !r.varint(reason_length)) {
          return bad_varint("CONNECTION_CLOSE frame");
        }
        Bytes reason;
        if (reason_length > r.remaining() || !r.bytes(static_cast<std::size_t>(reason_length), reason)) {
          return Failure{QuicError::bad_frame, "CONNECTION_CLOSE reason runs past the payload"};
        }
        break;
      }
      default:
        return Failure{QuicError::bad_frame,
                       "frame type " + std::to_string(type) + " is not allowed in an Initial packet"};
    }
  }
  return std::nullopt;
}

struct KeyCache {
  std::optional<QuicVersion> version;
  InitialKeys keys{};
};

// One long-header packet at the start of `bytes`. Sets `consumed` to its size; fills `out`
// only for an Initial whose DCID matches `expected_dcid` (when not null).
std::optional<Failure> decode_long_packet(Bytes bytes, const std::vector<std::uint8_t>* expected_dcid,
                                          KeyCache& cache, std::size_t& consumed,
                                          std::optional<InitialPacket>& out) {
  ByteReader r(bytes);
  std::uint8_t first = 0;
  std::uint32_t wire_version = 0;
  if (!r.u8(first) || !r.u32(wire_version)) return Failure{QuicError::truncated, "long header"};
  const auto version = known_version(wire_version);
  if (!version) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", wire_version);
    return Failure{QuicError::unsupported_version, std::string("version ") + hex};
  }
  std::uint8_t dcid_len = 0, scid_len = 0;
  Bytes dcid, scid;
  if (!r.u8(dcid_len) || !r.bytes(dcid_len, dcid) || !r.u8(scid_len) || !r.bytes(scid_len, scid)) {
    return Failure{QuicError::truncated, "connection IDs"};
  }
  if (dcid_len > max_connection_id_bytes || scid_len > max_connection_id_bytes) {
    return Failure{QuicError::not_initial, "connection ID longer than 20 bytes"};
  }
  const LongType type = long_type(*version, first);
  if (type == LongType::retry) {  // no Length field: it fills the rest of the datagram
    consumed = bytes.size();
    return std::nullopt;
  }
  if (type == LongType::initial) {
    std::uint64_t token_length = 0;
    Bytes token;
    if (!r.varint(token_length) || token_length > r.remaining() ||
        !r.bytes(static_cast<std::size_t>(token_length), token)) {
      return Failure{QuicError::truncated, "Initial token"};
    }
  }
  std::uint64_t length = 0;
  if (!r.varint(length)) return Failure{QuicError::truncated, "Length field"};
  if (length > r.remaining()) {
    return Failure{QuicError::truncated, "packet Length " + std::to_string(length) + " exceeds the " +
                                             std::to_string(r.remaining()) + " bytes left"};
  }
  const std::size_t pn_offset = r.position();
  const std::size_t end = pn_offset + static_cast<std::size_t>(length);
  consumed = end;
  const bool wanted = type == LongType::initial &&
                      (!expected_dcid || std::ranges::equal(*expected_dcid, dcid));
  if (!wanted) return std::nullopt;

  // RFC 9001 5.4.2: the sample starts 4 bytes after the packet number field begins.
  if (length < 4 + hp_sample_bytes) {
    return Failure{QuicError::truncated, "Initial packet too short for a header protection sample"};
  }
  if (!cache.version || *cache.version != *version) {
    cache.keys = client_initial_keys(*version, dcid);
    cache.version = version;
  }
  const InitialKeys& keys = cache.keys;
  const auto mask = header_protection_mask(keys.hp, bytes.subspan(pn_offset + 4, hp_sample_bytes));
  std::vector<std::uint8_t> header(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(pn_offset));
  header[0] ^= mask[0] & 0x0f;  // long header: the low four bits are protected
  const std::size_t pn_length = (header[0] & 0x03) + 1;
  std::uint64_t packet_number = 0;
  for (std::size_t i = 0; i < pn_length; ++i) {
    const std::uint8_t b = bytes[pn_offset + i] ^ mask[1 + i];
    header.push_back(b);
    packet_number = (packet_number << 8) | b;
  }
  const std::size_t payload_offset = pn_offset + pn_length;
  const Bytes ciphertext = bytes.subspan(payload_offset, end - payload_offset - aead_tag_bytes);
  const Bytes tag = bytes.subspan(end - aead_tag_bytes, aead_tag_bytes);
  std::vector<std::uint8_t> plaintext;
  if (!aead_open(keys, packet_number, header, ciphertext, tag, plaintext)) {
    return Failure{QuicError::decrypt_failed, "Initial packet " + std::to_string(packet_number) +
                                                  " did not authenticate"};
  }
  InitialPacket packet{*version, {dcid.begin(), dcid.end()}, {scid.begin(), scid.end()}, packet_number, {}};
  if (auto failure = walk_frames(plaintext, packet.crypto)) return failure;
  out = std::move(packet);
  return std::nullopt;
}

}  // namespace

InitialKeys client_initial_keys(QuicVersion version, std::span<const std::uint8_t> dcid) {
  const KdfPtr kdf{EVP_KDF_fetch(nullptr, "HKDF", nullptr)};
  if (!kdf) throw_openssl("EVP_KDF_fetch(HKDF)");
  const bool v2 = version == QuicVersion::v2;
  std::array<std::uint8_t, 32> initial_secret, client_secret;
  hkdf(kdf.get(), EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, v2 ? v2_initial_salt : v1_initial_salt,
       initial_secret);
  expand_label(kdf.get(), initial_secret, "client in", client_secret);
  InitialKeys keys;
  expand_label(kdf.get(), client_secret, v2 ? "quicv2 key" : "quic key", keys.key);
  expand_label(kdf.get(), client_secret, v2 ? "quicv2 iv" : "quic iv", keys.iv);
  expand_label(kdf.get(), client_secret, v2 ? "quicv2 hp" : "quic hp", keys.hp);
  return keys;
}

std::string_view to_string(QuicError error) {
  switch (error) {
    case QuicError::not_long_header: return "not_long_header";
    case QuicError::not_initial: return "not_initial";
    case QuicError::unsupported_version: return "unsupported_version";
    case QuicError::truncated: return "truncated";
    case QuicError::bad_varint: return "bad_varint";
    case QuicError::decrypt_failed: return "decrypt_failed";
    case QuicError::bad_frame: return "bad_frame";
  }
  return "unknown";
}

DatagramResult decode_client_datagram(std::span<const std::uint8_t> udp_payload) {
  DatagramResult result;
  KeyCache cache;
  std::optional<std::vector<std::uint8_t>> first_dcid;
  std::size_t pos = 0;
  while (pos < udp_payload.size()) {
    const Bytes rest = udp_payload.subspan(pos);
    if ((rest[0] & 0x80) == 0) break;  // a short-header packet always comes last
    // RFC 9000 12.2: later packets with another DCID than the first are ignored.
    if (!first_dcid && rest.size() >= 6 && rest.size() - 6 >= rest[5]) {
      first_dcid.emplace(rest.begin() + 6, rest.begin() + 6 + rest[5]);
    }
    std::size_t consumed = 0;
    std::optional<InitialPacket> packet;
    const auto* expected = first_dcid ? &*first_dcid : nullptr;
    if (auto failure = decode_long_packet(rest, expected, cache, consumed, packet)) {
      result.error = failure->error;
      result.detail = std::move(failure->detail);
      return result;
    }
    if (packet) result.initials.push_back(std::move(*packet));
    pos += consumed;
  }
  if (result.initials.empty()) {
    if (pos == 0) {
      result.error = QuicError::not_long_header;
      result.detail = udp_payload.empty() ? "empty datagram" : "short header packet";
    } else {
      result.error = QuicError::not_initial;
      result.detail = "no Initial packet in the datagram";
    }
  }
  return result;
}

bool looks_like_quic_initial(std::span<const std::uint8_t> udp_payload) {
  ByteReader r(udp_payload);
  std::uint8_t first = 0;
  std::uint32_t wire_version = 0;
  if (!r.u8(first) || (first & 0x80) == 0 || !r.u32(wire_version)) return false;
  const auto version = known_version(wire_version);
  return version && long_type(*version, first) == LongType::initial;
}

}  // namespace tlsgate::netfilter

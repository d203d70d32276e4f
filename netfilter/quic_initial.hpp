#pragma once
// Pure decoder for client QUIC Initial packets (RFC 9000 17.2.2, RFC 9001 5, RFC 9369 for v2):
// derive the Initial keys from the Destination Connection ID, remove header protection,
// decrypt, and collect the CRYPTO frames. Bytes in, values out; no I/O, no state.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tlsgate::netfilter {

enum class QuicVersion : std::uint32_t { v1 = 0x00000001, v2 = 0x6b3343cf };

struct InitialKeys {
  std::array<std::uint8_t, 16> key;  // AEAD_AES_128_GCM packet protection key
  std::array<std::uint8_t, 12> iv;
  std::array<std::uint8_t, 16> hp;  // AES-128 header protection key
};

// The client's Initial keys for `dcid` (the Destination Connection ID of the client's first
// Initial). Throws std::runtime_error only if OpenSSL itself fails (a broken installation).
InitialKeys client_initial_keys(QuicVersion version, std::span<const std::uint8_t> dcid);

struct CryptoFrame {
  std::uint64_t offset;
  std::vector<std::uint8_t> data;
};

struct InitialPacket {
  QuicVersion version;
  std::vector<std::uint8_t> dcid, scid;
  std::uint64_t packet_number;  // as sent (truncated); equal to the full number early on
  std::vector<CryptoFrame> crypto;  // in packet order, not sorted by offset
};

enum class QuicError {
  not_long_header,      // first byte has the short-header form (or the datagram is empty)
  not_initial,          // a known version, but no Initial packet (or a connection ID over 20 bytes)
  unsupported_version,  // version negotiation, or a version other than 1 and 2
  truncated,            // a header field or the packet runs past the datagram, or no room to sample
  bad_varint,           // in a decrypted payload, a variable-length integer runs past its end
  decrypt_failed,       // the AEAD tag did not verify (not a client Initial for this DCID)
  bad_frame,            // a frame not allowed in an Initial, or one running past the payload
};

std::string_view to_string(QuicError error);

// Decodes every Initial packet in one UDP datagram. Coalesced packets: non-Initial long-header
// packets and packets with another DCID than the first are skipped; a short header ends the
// walk. On an error, `initials` keeps what was decoded before it. Keys come from the packet's
// own DCID: right for the first flight and after a Retry; Initials a client sends later to a
// server-chosen DCID (e.g. after a HelloRetryRequest) end in decrypt_failed.
struct DatagramResult {
  std::vector<InitialPacket> initials;
  std::optional<QuicError> error;
  std::string detail;
};

DatagramResult decode_client_datagram(std::span<const std::uint8_t> udp_payload);

// Cheap check without crypto: long header, a known version, and the Initial type for it.
bool looks_like_quic_initial(std::span<const std::uint8_t> udp_payload);

}  // namespace tlsgate::netfilter

#pragma once
// Pure TLS ClientHello parser (RFC 8446 4.1.2, RFC 5246 7.4.1.2): reassembles the hello from
// the first TLS records of a TCP stream, or reads it from a bare handshake message (QUIC CRYPTO).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/parse_result.hpp"

namespace tlsgate::tls {

struct ClientHello {
  std::uint16_t record_version = 0;  // first record's legacy version
  std::uint16_t legacy_version = 0;  // ClientHello.client_version
  std::vector<std::uint16_t> cipher_suites;
  std::vector<std::uint16_t> extensions;  // type codes in wire order
  std::optional<std::string> sni;         // host_name as on the wire, lowercased, trailing dot removed
  std::vector<std::string> alpn;          // protocol names in offer order
  std::vector<std::uint16_t> supported_versions;
  std::vector<std::uint16_t> groups;  // supported_groups
  std::vector<std::uint8_t> ec_point_formats;
  std::vector<std::uint16_t> signature_algorithms;
  bool ech_offered = false;  // extension 0xfe0d present

  // Highest non-GREASE entry of supported_versions, else legacy_version.
  std::uint16_t max_version() const;
};

enum class ClientHelloError {
  not_handshake,        // the first record is not a plausible TLS handshake record: not TLS
  not_client_hello,     // a handshake message other than ClientHello comes first
  bad_record,           // a later record is not handshake, or a record is empty or oversized
  bad_length,           // a length inside the hello disagrees with its container
  bad_extension,        // a known extension's contents are malformed
  duplicate_extension,  // the same extension type twice (RFC 8446 4.2)
  bad_sni,              // server_name malformed, or the host name is not a DNS name
  bad_alpn,             // application_layer_protocol_negotiation malformed
  too_large,            // the hello does not fit in max_bytes
};

// The enumerator's name ("bad_sni"); the caller prefixes it for a flow `reason`.
std::string_view to_string(ClientHelloError error);

// RFC 8701 GREASE values (0x0a0a, 0x1a1a, ... 0xfafa).
bool is_grease(std::uint16_t value);

// Parses the first bytes of a TCP stream (TLS records). need_more while the hello is incomplete
// (it may span several records and segments); not_handshake as soon as the first byte is not 0x16
// or the first record header is implausible, so the caller can treat the stream as "not TLS".
// On success `consumed` is the size of the records holding the hello. The records holding the
// hello may not extend past max_bytes (too_large, reported as soon as a header announces it).
// Never reads past `stream`; holds no reference to it afterwards.
ParseResult<ClientHello, ClientHelloError> parse_client_hello(std::span<const std::uint8_t> stream,
                                                              std::size_t max_bytes = 64 * 1024);

// The same parse, fed as the bytes arrive: each feed() gets the whole stream so
// far (a longer prefix each time, as a MSG_PEEK loop sees it) but examines only
// what lies past the last complete record, so the work is linear in the bytes
// received however the client splits them. The result of a call is final once
// it is complete or an error; feed() must not be called after that.
class ClientHelloAssembler {
 public:
  explicit ClientHelloAssembler(std::size_t max_bytes = 64 * 1024) : max_bytes_(max_bytes) {}
  ParseResult<ClientHello, ClientHelloError> feed(std::span<const std::uint8_t> stream);

 private:
  std::size_t max_bytes_;
  std::size_t pos_ = 0;              // stream bytes consumed as whole records
  std::uint16_t record_version_ = 0;
  std::vector<std::uint8_t> message_;  // the handshake bytes of those records
};

// Parses a bare handshake message (type 1, 24-bit length, body), e.g. from a QUIC CRYPTO stream.
// need_more until the whole message is present; `consumed` is its size. record_version stays 0.
ParseResult<ClientHello, ClientHelloError> parse_client_hello_message(
    std::span<const std::uint8_t> message);

}  // namespace tlsgate::tls

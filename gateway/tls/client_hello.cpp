#include "gateway/tls/client_hello.hpp"

#include <algorithm>
#include <utility>

#include "gateway/byte_reader.hpp"

namespace tlsgate::tls {
namespace {

using Result = ParseResult<ClientHello, ClientHelloError>;
using Bytes = std::span<const std::uint8_t>;

constexpr std::uint8_t content_type_handshake = 22;
constexpr std::uint8_t handshake_client_hello = 1;
constexpr std::size_t record_header_bytes = 5;
constexpr std::size_t handshake_header_bytes = 4;
constexpr std::size_t max_record_bytes = 16384;  // TLSPlaintext.length limit (RFC 8446 5.1)
constexpr std::size_t max_host_name_bytes = 253;

constexpr std::uint16_t ext_server_name = 0;
constexpr std::uint16_t ext_supported_groups = 10;
constexpr std::uint16_t ext_ec_point_formats = 11;
constexpr std::uint16_t ext_signature_algorithms = 13;
constexpr std::uint16_t ext_alpn = 16;
constexpr std::uint16_t ext_supported_versions = 43;
constexpr std::uint16_t ext_encrypted_client_hello = 0xfe0d;

struct Failure {
  ClientHelloError error;
  std::string detail;
};


std::uint32_t read_u24(Bytes b) { return std::uint32_t{b[0]} << 16 | std::uint32_t{b[1]} << 8 | b[2]; }

// A whole extension body holding one u16 list with a 2-byte (or, for supported_versions, 1-byte)
// length prefix and nothing after it.
std::optional<Failure> read_u16_list(Bytes ext, bool one_byte_length, const char* what,
                                     std::vector<std::uint16_t>& out) {
  ByteReader r(ext);
  Bytes list;
  if (!(one_byte_length ? r.vec8(list) : r.vec16(list)) || !r.empty() || list.empty() ||
      list.size() % 2 != 0)
    return Failure{ClientHelloError::bad_extension, std::string(what) + " list length is wrong"};
  for (std::size_t i = 0; i < list.size(); i += 2)
    out.push_back(static_cast<std::uint16_t>(list[i] << 8 | list[i + 1]));
  return std::nullopt;
}

bool is_host_char(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// RFC 6066 3: ServerNameList; at most one host_name, which must be an ASCII DNS name.
std::optional<Failure> read_server_name(Bytes ext, ClientHello& hello) {
  ByteReader r(ext);
  Bytes list;
  if (!r.vec16(list) || !r.empty() || list.empty())
    return Failure{ClientHelloError::bad_sni, "server_name list length is wrong"};
  ByteReader names(list);
  while (!names.empty()) {
    std::uint8_t type = 0;
    Bytes name;
    if (!names.u8(type) || !names.vec16(name))
      return Failure{ClientHelloError::bad_sni, "server_name entry overruns its list"};
    if (type != 0) continue;  // only host_name (0) is defined; others are skipped whole
    if (hello.sni) return Failure{ClientHelloError::bad_sni, "more than one host_name"};
    std::string host(name.begin(), name.end());
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (host.empty() || host.size() > max_host_name_bytes)
      return Failure{ClientHelloError::bad_sni, "host_name is empty or too long"};
    if (!std::all_of(name.begin(), name.end(), is_host_char) || host.front() == '.' ||
        host.find("..") != std::string::npos)
      return Failure{ClientHelloError::bad_sni, "host_name is not a DNS name"};
    std::transform(host.begin(), host.end(), host.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    hello.sni = std::move(host);
  }
  return std::nullopt;
}

// RFC 7301 3.1: ProtocolNameList protocol_name_list<2..2^16-1>, ProtocolName<1..2^8-1>.
std::optional<Failure> read_alpn(Bytes ext, ClientHello& hello) {
  ByteReader r(ext);
  Bytes list;
  if (!r.vec16(list) || !r.empty() || list.empty())
    return Failure{ClientHelloError::bad_alpn, "protocol list length is wrong"};
  ByteReader names(list);
  while (!names.empty()) {
    Bytes name;
    if (!names.vec8(name)) return Failure{ClientHelloError::bad_alpn, "protocol name overruns its list"};
    if (name.empty()) return Failure{ClientHelloError::bad_alpn, "empty protocol name"};
    hello.alpn.emplace_back(name.begin(), name.end());
  }
  return std::nullopt;
}

std::optional<Failure> read_extension(std::uint16_t type, Bytes ext, ClientHello& hello) {
  switch (type) {
    case ext_server_name:
      return read_server_name(ext, hello);
    case ext_alpn:
      return read_alpn(ext, hello);
    case ext_supported_versions:
      return read_u16_list(ext, true, "supported_versions", hello.supported_versions);
    case ext_supported_groups:
      return read_u16_list(ext, false, "supported_groups", hello.groups);
    case ext_signature_algorithms:
      return read_u16_list(ext, false, "signature_algorithms", hello.signature_algorithms);
    case ext_ec_point_formats: {
      ByteReader r(ext);
      Bytes formats;
      if (!r.vec8(formats) || !r.empty() || formats.empty())
        return Failure{ClientHelloError::bad_extension, "ec_point_formats list length is wrong"};
      hello.ec_point_formats.assign(formats.begin(), formats.end());
      return std::nullopt;
    }
    case ext_encrypted_client_hello:
      hello.ech_offered = true;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// The ClientHello body (after the handshake header), which is complete.
std::optional<Failure> read_body(Bytes body, ClientHello& hello) {
  ByteReader r(body);
  Bytes random, session_id, suites, compression;
  if (!r.u16(hello.legacy_version) || !r.bytes(32, random))
    return Failure{ClientHelloError::bad_length, "hello shorter than version and random"};
  if (!r.vec8(session_id) || session_id.size() > 32)
    return Failure{ClientHelloError::bad_length, "session_id length is wrong"};
  if (!r.vec16(suites) || suites.empty() || suites.size() % 2 != 0)
    return Failure{ClientHelloError::bad_length, "cipher_suites length is wrong"};
  for (std::size_t i = 0; i < suites.size(); i += 2)
    hello.cipher_suites.push_back(static_cast<std::uint16_t>(suites[i] << 8 | suites[i + 1]));
  if (!r.vec8(compression) || compression.empty())
    return Failure{ClientHelloError::bad_length, "compression_methods length is wrong"};
  if (r.empty()) return std::nullopt;  // a TLS 1.2 (or older) hello may end here

  Bytes all;
  if (!r.vec16(all) || !r.empty())
    return Failure{ClientHelloError::bad_length, "extensions length disagrees with the hello length"};
  ByteReader exts(all);
  while (!exts.empty()) {
    std::uint16_t type = 0;
    Bytes ext;
    if (!exts.u16(type) || !exts.vec16(ext))
      return Failure{ClientHelloError::bad_length, "extension overruns the extensions block"};
    if (std::find(hello.extensions.begin(), hello.extensions.end(), type) != hello.extensions.end())
      return Failure{ClientHelloError::duplicate_extension, "extension " + std::to_string(type) + " twice"};
    hello.extensions.push_back(type);
    if (auto failure = read_extension(type, ext, hello)) return failure;
  }
  return std::nullopt;
}

// A complete handshake message: header checked, body parsed.
Result read_message(Bytes message, std::uint16_t record_version, std::size_t consumed) {
  ClientHello hello;
  hello.record_version = record_version;
  if (auto failure = read_body(message.subspan(handshake_header_bytes), hello))
    return Result::failure(failure->error, std::move(failure->detail));
  return Result::complete(std::move(hello), consumed);
}

}  // namespace

std::string_view to_string(ClientHelloError error) {
  switch (error) {
    case ClientHelloError::not_handshake: return "not_handshake";
    case ClientHelloError::not_client_hello: return "not_client_hello";
    case ClientHelloError::bad_record: return "bad_record";
    case ClientHelloError::bad_length: return "bad_length";
    case ClientHelloError::bad_extension: return "bad_extension";
    case ClientHelloError::duplicate_extension: return "duplicate_extension";
    case ClientHelloError::bad_sni: return "bad_sni";
    case ClientHelloError::bad_alpn: return "bad_alpn";
    case ClientHelloError::too_large: return "too_large";
  }
  return "unknown";
}

bool is_grease(std::uint16_t value) { return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff); }

std::uint16_t ClientHello::max_version() const {
  std::uint16_t best = 0;
  for (auto v : supported_versions)
    if (!is_grease(v)) best = std::max(best, v);
  return best != 0 ? best : legacy_version;
}

Result parse_client_hello_message(Bytes message) {
  if (message.empty()) return Result::need_more();
  if (message[0] != handshake_client_hello)
    return Result::failure(ClientHelloError::not_client_hello,
                           "handshake type " + std::to_string(message[0]));
  if (message.size() < handshake_header_bytes) return Result::need_more();
  const std::size_t size = handshake_header_bytes + read_u24(message.subspan(1, 3));
  if (message.size() < size) return Result::need_more();
  return read_message(message.first(size), 0, size);
}

Result parse_client_hello(Bytes stream, std::size_t max_bytes) {
  ClientHelloAssembler assembler(max_bytes);
  return assembler.feed(stream);
}

Result ClientHelloAssembler::feed(Bytes stream) {
  for (;;) {
    const bool first = pos_ == 0;
    // RFC 8446 5.1: type(1) legacy_record_version(2) length(2). Judge what is there already, so a
    // stream that is not TLS is told apart after one byte.
    const Bytes header = stream.subspan(pos_, std::min(record_header_bytes, stream.size() - pos_));
    if (!header.empty() && header[0] != content_type_handshake)
      return first ? Result::failure(ClientHelloError::not_handshake, "not a TLS handshake record")
                   : Result::failure(ClientHelloError::bad_record, "non-handshake record inside the hello");
    if (header.size() >= 2 && header[1] != 3)
      return Result::failure(first ? ClientHelloError::not_handshake : ClientHelloError::bad_record,
                             "record version is not 3.x");
    if (header.size() < record_header_bytes) return Result::need_more();

    const std::size_t length = std::size_t{header[3]} << 8 | header[4];
    if (length > max_record_bytes)
      return Result::failure(first ? ClientHelloError::not_handshake : ClientHelloError::bad_record,
                             "record longer than 2^14");
    if (length == 0) return Result::failure(ClientHelloError::bad_record, "empty handshake record");
    if (first) record_version_ = static_cast<std::uint16_t>(header[1] << 8 | header[2]);
    const std::size_t end = pos_ + record_header_bytes + length;
    if (end > max_bytes_) return Result::failure(ClientHelloError::too_large, "hello exceeds the byte limit");
    if (stream.size() < end) return Result::need_more();

    // A whole record: its fragment joins the message and is never looked at again.
    const Bytes fragment = stream.subspan(pos_ + record_header_bytes, length);
    message_.insert(message_.end(), fragment.begin(), fragment.end());
    pos_ = end;
    if (message_[0] != handshake_client_hello)
      return Result::failure(ClientHelloError::not_client_hello, "handshake type " + std::to_string(message_[0]));
    if (message_.size() < handshake_header_bytes) continue;
    const std::size_t size = handshake_header_bytes + read_u24(Bytes(message_).subspan(1, 3));
    // The records holding the message add at least one header to it.
    if (size + record_header_bytes > max_bytes_)
      return Result::failure(ClientHelloError::too_large, "hello exceeds the byte limit");
    // Bytes after the hello in its last record are left alone: a client has nothing to send there.
    if (message_.size() >= size) return read_message(Bytes(message_).first(size), record_version_, pos_);
  }
}

}  // namespace tlsgate::tls

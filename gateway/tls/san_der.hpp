#pragma once
// The subjectAltName extension read straight from its DER (RFC 5280 4.2.1.6:
// SEQUENCE OF GeneralName). OpenSSL's ASN.1 decoder allocates an object per name
// and takes tens of milliseconds for thousands of them, on every call; walking
// the bytes is linear, allocation-free and cheap. Pure: no OpenSSL, no I/O.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

namespace tlsgate::tls {

// One GeneralName: its context tag number (2 dNSName, 7 iPAddress, others as they come)
// and its content bytes.
struct SanEntry {
  unsigned tag = 0;
  bool constructed = false;  // otherName, directoryName...; dNSName and iPAddress are primitive
  std::span<const std::uint8_t> value;
};

constexpr unsigned san_dns_tag = 2;
constexpr unsigned san_ip_tag = 7;

// Walks every entry of `der` (the extension's value) in order, calling `visit` for each
// (pass an empty function to only count). Returns the number of entries, or nullopt when
// the DER is malformed (then no name should be trusted; the entries seen were visited).
std::optional<std::size_t> walk_san_der(std::span<const std::uint8_t> der,
                                        const std::function<void(const SanEntry&)>& visit);

}  // namespace tlsgate::tls

#pragma once
// Passive client fingerprints of a parsed ClientHello: JA3 (salesforce/ja3) and JA4 (FoxIO
// technical_details/JA4.md). Both ignore GREASE values (RFC 8701).
#include <string>

#include "gateway/tls/client_hello.hpp"

namespace tlsgate::tls {

// "771,4865-4866-...,0-11-...,29-23-24,0": legacy version, ciphers, extensions (wire order),
// supported groups, EC point formats, all decimal.
std::string ja3_string(const ClientHello& hello);

// Lowercase hex MD5 of ja3_string().
std::string ja3(const ClientHello& hello);

enum class Transport { tcp, quic };

// "t13d1516h2_8daaf6152771_e5627efa2ab1": transport, version, SNI, counts and ALPN; then the
// truncated SHA-256 of the sorted ciphers; then of the sorted extensions (without SNI and ALPN)
// followed by the signature algorithms in offer order.
std::string ja4(const ClientHello& hello, Transport transport = Transport::tcp);

}  // namespace tlsgate::tls

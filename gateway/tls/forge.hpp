#pragma once
// Forging the leaf certificate shown to the client in place of the upstream one.
#include <optional>
#include <string>
#include <vector>

#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

// The names a certificate is valid for. DNS names holding bytes outside printable ASCII
// (e.g. an embedded NUL) are dropped; IP addresses are in inet_ntop text form.
struct CertNames {
  std::optional<std::string> common_name;  // the last CN of the subject, UTF-8
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
};

CertNames names_of(X509* cert);

struct ForgeRequest {
  X509* upstream = nullptr;               // borrowed; its CN and SANs are copied
  std::optional<std::string> sni;         // added as a DNS SAN (or IP SAN for an IP literal) if missing
  std::optional<std::string> server_ip;   // added as an IP SAN when there is no SNI
};

// Forges a leaf for `request` signed by `ca` (SHA-256) with the public half of `leaf_key`:
// random 128-bit serial; valid from one day ago for 397 days, capped at the CA's notAfter;
// subject CN = upstream CN (else the SNI, first DNS name or server IP; omitted if longer than
// 64 characters, then the SAN extension is critical); SANs = upstream DNS and IP SANs plus the
// SNI / server IP; basicConstraints CA:FALSE, keyUsage digitalSignature (+keyEncipherment for
// RSA), extKeyUsage serverAuth, SKI, AKI. An SNI that is neither a DNS name nor an IP literal
// is not added. Safe to call from several threads with the same CA and key. Throws OpenSslError
// (or std::invalid_argument without an upstream certificate).
X509Ptr forge_leaf(const CertificateAuthority& ca, EVP_PKEY* leaf_key, const ForgeRequest& request);

// The cache key for a forged leaf: every input of forge_leaf that varies per connection
// (upstream certificate fingerprint, SNI, and the server IP when there is no SNI).
std::string forge_cache_key(const ForgeRequest& request);

// Lowercase hex SHA-256 of the certificate's DER encoding.
std::string sha256_fingerprint(X509* cert);

}  // namespace tlsgate::tls

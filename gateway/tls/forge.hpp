#pragma once
// Forging the leaf certificate shown to the client in place of the upstream one.
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

// How many distinct SANs (DNS plus IP) a certificate may carry for the gateway to forge a leaf
// for it (config max_certificate_names). Public CAs issue at most a few hundred; thousands only
// make every flow to that server pay for them.
constexpr std::size_t default_max_certificate_names = 1000;

// The names a certificate is valid for. DNS names holding bytes outside printable ASCII
// (e.g. an embedded NUL) are dropped; IP addresses are in inet_ntop text form.
struct CertNames {
  std::optional<std::string> common_name;  // the last CN of the subject, UTF-8
  std::vector<std::string> dns_names;      // distinct ignoring case, in certificate order
  std::vector<std::string> ip_addresses;   // distinct
  bool capped = false;                     // more than max_names distinct SANs: the lists hold the first ones
  std::size_t san_entries = 0;             // entries in the SAN extension, of every type, duplicates included
};

// Collects the CN and the distinct SANs, in time linear in the number of SANs; stops at
// `max_names` distinct SANs and sets `capped` when there are more.
CertNames names_of(X509* cert, std::size_t max_names = default_max_certificate_names);

// Thrown by forge_leaf for an upstream certificate with more than `max_names` SANs.
struct TooManyNames : std::length_error {
  using std::length_error::length_error;
};

// The flow line's text for a certificate the gateway refuses to forge for its names.
std::string too_many_names_text(std::size_t max_names);

struct ForgeRequest {
  X509* upstream = nullptr;               // borrowed; its CN and SANs are copied
  std::optional<std::string> sni;         // added as a DNS SAN (or IP SAN for an IP literal) if missing
  std::optional<std::string> server_ip;   // added as an IP SAN when there is no SNI
  std::size_t max_names = default_max_certificate_names;  // more upstream SANs: TooManyNames
};

// Forges a leaf for `request` signed by `ca` (SHA-256) with the public half of `leaf_key`:
// random 128-bit serial; valid from one day ago for 397 days, capped at the CA's notAfter;
// subject CN = upstream CN (else the SNI, first DNS name or server IP; omitted if longer than
// 64 characters, then the SAN extension is critical); SANs = upstream DNS and IP SANs plus the
// SNI / server IP; basicConstraints CA:FALSE, keyUsage digitalSignature (+keyEncipherment for
// RSA), extKeyUsage serverAuth, SKI, AKI. An SNI that is neither a DNS name nor an IP literal
// is not added. Safe to call from several threads with the same CA and key. Throws OpenSslError
// (or std::invalid_argument without an upstream certificate, TooManyNames past max_names).
X509Ptr forge_leaf(const CertificateAuthority& ca, EVP_PKEY* leaf_key, const ForgeRequest& request);

// The cache key for a forged leaf: every input of forge_leaf that varies per connection
// (upstream certificate fingerprint, SNI, and the server IP when there is no SNI).
std::string forge_cache_key(const ForgeRequest& request);

// Lowercase hex SHA-256 of the certificate's DER encoding.
std::string sha256_fingerprint(X509* cert);

}  // namespace tlsgate::tls

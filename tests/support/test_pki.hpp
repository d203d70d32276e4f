#pragma once
// Certificates for tests: a server certificate issued by a test "public" CA
// (built with OpenSSL the way a real CA would), and PEM files in a directory.
#include <string>
#include <vector>

#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/openssl.hpp"

namespace tlsgate::testing {

struct ServerIdentity {
  tls::X509Ptr certificate;
  tls::EvpPkeyPtr key;
};

// A TLS server certificate (serverAuth, valid for a day around now) for these
// DNS names and IP addresses, signed by `issuer`. Aborts on an OpenSSL failure.
ServerIdentity issue_server_identity(const tls::CertificateAuthority& issuer, const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses);

// Writes `cert` as PEM to `path`. Aborts when the file cannot be written.
void write_certificate_pem(X509* cert, const std::string& path);

}  // namespace tlsgate::testing

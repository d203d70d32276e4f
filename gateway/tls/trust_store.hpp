#pragma once
// The trust store for verifying upstream servers, and certificate facts for the flow log.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

// OpenSSL's default verify paths (the system CA bundle) plus, if given, every certificate of
// the PEM file `extra_ca_file`. Throws OpenSslError naming the file if it cannot be read or
// holds no certificate.
X509StorePtr load_trust_store(const std::optional<std::string>& extra_ca_file);

// OpenSSL's text for an X509_V_ERR_* code (SSL_get_verify_result), e.g. "certificate has expired".
std::string verify_error_text(long x509_verify_result);

// {"subject", "issuer" (RFC 2253 strings), "sans" (DNS names, then IPs), "not_before", "not_after"
// (RFC 3339, UTC), "sha256" (hex)}.
nlohmann::ordered_json certificate_summary(X509* cert);

}  // namespace tlsgate::tls

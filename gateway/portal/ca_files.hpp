#pragma once
// The gateway CA in the forms clients install: PEM (Linux, Android, Firefox),
// DER (Windows, Android) and an Apple configuration profile (.mobileconfig,
// iOS and macOS), with the SHA-256 fingerprint users compare.
#include <openssl/x509.h>

#include <string>

#include "gateway/markup_escape.hpp"

namespace tlsgate::portal {

struct CaFiles {
  std::string common_name;   // the CA's subject CN (empty if none)
  std::string pem;
  std::string der;
  std::string mobileconfig;  // XML property list, one com.apple.security.root payload
  std::string sha256;        // "AB:CD:..." as browsers and `openssl x509 -fingerprint` show it
};

CaFiles make_ca_files(X509* ca);

// The .mobileconfig for a CA: the DER certificate as the payload; identifiers and
// UUIDs derived from its fingerprint, so the same CA always gives the same profile.
std::string mobileconfig(const std::string& der, const std::string& common_name, const std::string& sha256_hex);

}  // namespace tlsgate::portal

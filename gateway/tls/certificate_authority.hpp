#pragma once
// The gateway CA: creation, loading (generated or operator-supplied), and safe saving.
#include <stdexcept>
#include <string>

#include "gateway/tls/keys.hpp"
#include "gateway/tls/openssl.hpp"

namespace tlsgate::tls {

// A CA that cannot be loaded, saved or used; the message names the file and the problem.
struct CaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CertificateAuthority {
 public:
  // A new self-signed CA: valid from one day ago for 10 years, basicConstraints CA:TRUE
  // (critical), keyUsage keyCertSign + cRLSign (critical), subject key identifier.
  static CertificateAuthority create(KeyType type, std::string common_name = "tlsgate CA");

  // Loads a PEM certificate and an unencrypted PEM private key. Throws CaError if a file is
  // unreadable, the key is encrypted or does not match the certificate, the certificate is
  // not a CA that may sign certificates, or it has expired.
  static CertificateAuthority load(const std::string& cert_pem_path, const std::string& key_pem_path);

  // Writes the certificate (0644) and the key (0600) as PEM. Each file is written to a fresh
  // temporary file created with O_EXCL and mode 0600, then linked (no overwrite) or, with
  // `force`, renamed into place, so no reader ever sees a partial or world-readable key.
  // Without `force`, throws CaError if either file exists and writes nothing.
  void save(const std::string& cert_path, const std::string& key_path, bool force) const;

  // `state_dir`/ca.crt + `state_dir`/ca.key: loads them if both exist; if neither exists,
  // creates the directory (0700) if needed and a new CA, and sets `*created` (may be null).
  // Throws CaError if only one of the two files exists.
  static CertificateAuthority load_or_create(const std::string& state_dir, KeyType type, bool* created);

  static std::string cert_path_in(const std::string& state_dir) { return state_dir + "/ca.crt"; }
  static std::string key_path_in(const std::string& state_dir) { return state_dir + "/ca.key"; }

  // Borrowed pointers, valid while this object lives.
  X509* certificate() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }

 private:
  CertificateAuthority(X509Ptr cert, EvpPkeyPtr key) : cert_(std::move(cert)), key_(std::move(key)) {}

  X509Ptr cert_;
  EvpPkeyPtr key_;
};

// Certificate-building helpers shared with the leaf forge.

// A random positive 128-bit serial number (RFC 5280 4.1.2.2 allows up to 20 octets).
void set_random_serial(X509* cert);

// Adds an extension from OpenSSL's config syntax (a constant string, never untrusted input),
// with `issuer` as the issuer for authorityKeyIdentifier. Throws OpenSslError.
void add_extension(X509* cert, X509* issuer, int nid, const char* value);

}  // namespace tlsgate::tls

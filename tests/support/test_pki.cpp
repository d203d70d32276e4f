#include "tests/support/test_pki.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>

namespace tlsgate::testing {
namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "test PKI: %s failed\n", what);
  std::abort();
}

void add_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  if (value == nullptr) fail("building a subjectAltName");
  GENERAL_NAME* name = GENERAL_NAME_new();
  GENERAL_NAME_set0_value(name, type, value);
  sk_GENERAL_NAME_push(names, name);
}

}  // namespace

ServerIdentity issue_server_identity(const tls::CertificateAuthority& issuer, const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses) {
  ServerIdentity id{tls::X509Ptr(X509_new()), tls::generate_key(tls::KeyType::ec_p256)};
  X509* cert = id.certificate.get();
  X509_set_version(cert, X509_VERSION_3);
  tls::set_random_serial(cert);
  X509_set_issuer_name(cert, X509_get_subject_name(issuer.certificate()));
  const std::string cn = dns_names.empty() ? ip_addresses.at(0) : dns_names.front();
  X509_NAME_add_entry_by_NID(X509_get_subject_name(cert), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, id.key.get());
  GENERAL_NAMES* sans = sk_GENERAL_NAME_new_null();
  for (const auto& dns : dns_names) {
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size()));
    add_name(sans, GEN_DNS, text);
  }
  for (const auto& ip : ip_addresses) add_name(sans, GEN_IPADD, a2i_IPADDRESS(ip.c_str()));
  X509_add1_ext_i2d(cert, NID_subject_alt_name, sans, 0, 0);
  GENERAL_NAMES_free(sans);
  tls::add_extension(cert, issuer.certificate(), NID_ext_key_usage, "serverAuth");
  if (X509_sign(cert, issuer.key(), EVP_sha256()) <= 0) fail("X509_sign");
  return id;
}

void write_certificate_pem(X509* cert, const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) fail("opening the PEM file");
  const bool written = PEM_write_X509(file, cert) == 1;
  if (std::fclose(file) != 0 || !written) fail("writing the PEM file");
}

}  // namespace tlsgate::testing

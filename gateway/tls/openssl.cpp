#include "gateway/tls/openssl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstddef>

namespace tlsgate::tls {

X509Ptr up_ref(X509* cert) {
  if (cert == nullptr || X509_up_ref(cert) != 1) throw OpenSslError("X509_up_ref");
  return X509Ptr(cert);
}

EvpPkeyPtr up_ref(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) throw OpenSslError("EVP_PKEY_up_ref");
  return EvpPkeyPtr(key);
}

const EVP_MD* sha256_md() {
  static EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) throw OpenSslError("EVP_MD_fetch SHA256");
    return fetched;
  }();
  return md;
}

std::string openssl_errors() {
  std::string out;
  const char* file = nullptr;
  int line = 0;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long code = ERR_get_error_all(&file, &line, nullptr, &data, &flags)) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
    // Extra data (e.g. the file name fopen failed on) is often the most useful part.
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ')';
    }
  }
  return out.empty() ? "no OpenSSL error details" : out;
}

OpenSslError::OpenSslError(const std::string& context)
    : std::runtime_error(context + ": " + openssl_errors()) {}

void check_openssl(bool ok, const char* context) {
  if (!ok) throw OpenSslError(context);
}

std::string to_pem(X509* cert) {
  ERR_clear_error();
  BioPtr bio(BIO_new(BIO_s_mem()));
  check_openssl(bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM-encoding a certificate");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string to_der(X509* cert) {
  ERR_clear_error();
  const int len = i2d_X509(cert, nullptr);
  check_openssl(len > 0, "DER-encoding a certificate");
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  check_openssl(i2d_X509(cert, &p) == len, "DER-encoding a certificate");
  return out;
}

X509Ptr read_pem_certificate(const std::string& path) {
  ERR_clear_error();
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) throw OpenSslError("cannot open certificate file '" + path + "'");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) throw OpenSslError("no PEM certificate in '" + path + "'");
  return cert;
}

}  // namespace tlsgate::tls

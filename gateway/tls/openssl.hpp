#pragma once
// Owning handles for OpenSSL objects and error-queue helpers.
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace tlsgate::tls {

template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;

// New owning references to shared objects (the argument keeps its own reference).
X509Ptr up_ref(X509* cert);
EvpPkeyPtr up_ref(EVP_PKEY* key);

// Drains the calling thread's OpenSSL error queue into one line ("a; b; c"), or
// "no OpenSSL error details" when it is empty.
std::string openssl_errors();

// A failed OpenSSL call: `what()` is the context plus the drained error queue.
struct OpenSslError : std::runtime_error {
  explicit OpenSslError(const std::string& context);
};

// Throws OpenSslError(context) unless `ok`; for the many calls that return 1 on success.
void check_openssl(bool ok, const char* context);

// Encodings of a certificate (PEM text, or raw DER bytes in a string); throw OpenSslError.
std::string to_pem(X509* cert);
std::string to_der(X509* cert);

// SHA-256 fetched once per process (EVP_MD_fetch), so hashing and signing skip OpenSSL 3's
// per-call provider look-up that the legacy EVP_sha256() handle costs. Never freed.
const EVP_MD* sha256_md();

// Reads the first PEM certificate of a file; throws OpenSslError naming the path.
X509Ptr read_pem_certificate(const std::string& path);

}  // namespace tlsgate::tls

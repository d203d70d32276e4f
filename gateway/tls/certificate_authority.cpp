#include "gateway/tls/certificate_authority.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

namespace tlsgate::tls {
namespace {

constexpr long one_day_s = 24 * 60 * 60;
constexpr int ca_validity_days = 3650;

std::string errno_text(const std::string& what, int err) { return what + ": " + std::strerror(err); }

std::string dir_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// A temporary file next to `final_path` (same filesystem, so link/rename are atomic) holding
// `contents` with `mode`; mkstemp creates it O_EXCL with mode 0600 whatever the umask.
std::string write_temp_file(const std::string& final_path, const std::string& contents, mode_t mode) {
  std::string name = dir_of(final_path) + "/." + std::filesystem::path(final_path).filename().string() +
                     ".tmp.XXXXXX";
  std::vector<char> tmpl(name.begin(), name.end());
  tmpl.push_back('\0');
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) throw CaError(errno_text("cannot create a file next to '" + final_path + "'", errno));
  name = tmpl.data();
  const char* p = contents.data();
  std::size_t left = contents.size();
  int err = 0;
  while (left > 0 && err == 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) {
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  if (err == 0 && fchmod(fd, mode) != 0) err = errno;
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(name.c_str());
    throw CaError(errno_text("cannot write '" + name + "'", err));
  }
  return name;
}

// Moves a temporary file into place: link() refuses an existing target, rename() replaces it.
void install_file(const std::string& tmp, const std::string& final_path, bool force) {
  const int rc = force ? ::rename(tmp.c_str(), final_path.c_str()) : ::link(tmp.c_str(), final_path.c_str());
  const int err = errno;
  if (!force || rc != 0) ::unlink(tmp.c_str());
  if (rc == 0) return;
  if (err == EEXIST) throw CaError("'" + final_path + "' already exists (use --force to replace it)");
  throw CaError(errno_text("cannot create '" + final_path + "'", err));
}

void sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);  // best effort: the files themselves were synced
    ::close(fd);
  }
}

std::string key_pem(EVP_PKEY* key) {
  ERR_clear_error();
  // Secure heap memory BIO (falls back to the normal heap when no secure heap is set up).
  BioPtr bio(BIO_new(BIO_s_secmem()));
  check_openssl(bio != nullptr && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM-encoding the CA key");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// Never prompt on the terminal for a passphrase: encrypted keys are refused instead.
int no_passphrase(char*, int, int, void*) { return -1; }

EvpPkeyPtr read_private_key(const std::string& path) {
  ERR_clear_error();
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) throw CaError("cannot open CA key '" + path + "': " + openssl_errors());
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (key == nullptr) {
    throw CaError("no usable PEM private key in '" + path +
                  "' (encrypted keys are not supported): " + openssl_errors());
  }
  return key;
}

}  // namespace

void set_random_serial(X509* cert) {
  ERR_clear_error();
  std::array<unsigned char, 16> bytes{};
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(nullptr, BN_free);
  do {
    check_openssl(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1, "RAND_bytes");
    bn.reset(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    check_openssl(bn != nullptr, "BN_bin2bn");
  } while (BN_is_zero(bn.get()));  // serials must be positive
  check_openssl(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr, "setting the serial number");
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  ERR_clear_error();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw OpenSslError(std::string("building extension ") + OBJ_nid2sn(nid) + "=" + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check_openssl(ok == 1, "X509_add_ext");
}

CertificateAuthority CertificateAuthority::create(KeyType type, std::string common_name) {
  EvpPkeyPtr key = generate_key(type);
  ERR_clear_error();
  X509Ptr cert(X509_new());
  check_openssl(cert != nullptr, "X509_new");
  check_openssl(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  set_random_serial(cert.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  check_openssl(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
        "setting the CA common name");
  check_openssl(X509_set_issuer_name(cert.get(), name) == 1, "X509_set_issuer_name");
  // Start a day early so clients with a slow clock accept it at once.
  check_openssl(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -one_day_s) != nullptr, "setting notBefore");
  check_openssl(X509_time_adj_ex(X509_getm_notAfter(cert.get()), ca_validity_days, 0, nullptr) != nullptr,
        "setting notAfter");
  check_openssl(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  // pathlen:0: the gateway CA signs leaves only, never another CA.
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  check_openssl(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing the CA certificate");
  return CertificateAuthority(std::move(cert), std::move(key));
}

CertificateAuthority CertificateAuthority::load(const std::string& cert_pem_path,
                                                const std::string& key_pem_path) {
  X509Ptr cert;
  try {
    cert = read_pem_certificate(cert_pem_path);
  } catch (const OpenSslError& e) {
    throw CaError(std::string("CA certificate: ") + e.what());
  }
  EvpPkeyPtr key = read_private_key(key_pem_path);
  ERR_clear_error();
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw CaError("CA key '" + key_pem_path + "' does not match the certificate '" + cert_pem_path + "'");
  }
  // 1: basicConstraints CA:TRUE, and keyCertSign if keyUsage is present.
  if (X509_check_ca(cert.get()) != 1) {
    throw CaError("'" + cert_pem_path + "' is not a CA certificate (needs basicConstraints CA:TRUE" +
                  " and, if keyUsage is present, keyCertSign)");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) <= 0) {
    throw CaError("CA certificate '" + cert_pem_path + "' has expired");
  }
  return CertificateAuthority(std::move(cert), std::move(key));
}

void CertificateAuthority::save(const std::string& cert_path, const std::string& key_path, bool force) const {
  if (!force) {
    for (const auto* path : {&cert_path, &key_path}) {
      if (::access(path->c_str(), F_OK) == 0) {
        throw CaError("'" + *path + "' already exists (use --force to replace it)");
      }
    }
  }
  const std::string key_tmp = write_temp_file(key_path, key_pem(key_.get()), 0600);
  std::string cert_tmp;
  try {
    cert_tmp = write_temp_file(cert_path, to_pem(cert_.get()), 0644);
  } catch (...) {
    ::unlink(key_tmp.c_str());
    throw;
  }
  try {
    install_file(key_tmp, key_path, force);
  } catch (...) {
    ::unlink(cert_tmp.c_str());
    throw;
  }
  try {
    install_file(cert_tmp, cert_path, force);
  } catch (...) {
    if (!force) ::unlink(key_path.c_str());  // the key we just created, without its certificate
    throw;
  }
  sync_dir(dir_of(key_path));
  if (dir_of(cert_path) != dir_of(key_path)) sync_dir(dir_of(cert_path));
}

CertificateAuthority CertificateAuthority::load_or_create(const std::string& state_dir, KeyType type,
                                                          bool* created) {
  const std::string cert_path = cert_path_in(state_dir);
  const std::string key_path = key_path_in(state_dir);
  const bool have_cert = ::access(cert_path.c_str(), F_OK) == 0;
  const bool have_key = ::access(key_path.c_str(), F_OK) == 0;
  if (created != nullptr) *created = false;
  if (have_cert && have_key) return load(cert_path, key_path);
  if (have_cert || have_key) {
    throw CaError("incomplete CA in '" + state_dir + "': '" + (have_cert ? key_path : cert_path) +
                  "' is missing (restore it, or remove the other file to create a new CA)");
  }
  std::error_code ec;
  if (std::filesystem::create_directories(state_dir, ec)) {
    std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all, ec);
  }
  if (ec) throw CaError("cannot create state directory '" + state_dir + "': " + ec.message());
  CertificateAuthority ca = create(type);
  ca.save(cert_path, key_path, false);
  if (created != nullptr) *created = true;
  return ca;
}

}  // namespace tlsgate::tls

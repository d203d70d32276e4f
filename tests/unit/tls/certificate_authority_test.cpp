#include "gateway/tls/certificate_authority.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/tls/forge.hpp"

namespace tlsgate::tls {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tlsgate_ca_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

mode_t file_mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_all(const std::string& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }

// Days from now to `t` (negative in the past), via ASN1_TIME_diff.
double days_from_now(const ASN1_TIME* t) {
  int days = 0, seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, t), 1);
  return days + seconds / 86400.0;
}

bool verifies_as_trust_anchor(X509* ca_cert) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca_cert);
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), ca_cert, nullptr);
  return X509_verify_cert(ctx.get()) == 1;
}

TEST(CertificateAuthority, CreateMakesAValidCa) {
  for (auto type : {KeyType::ec_p256, KeyType::rsa2048}) {
    SCOPED_TRACE(key_type_name(type));
    const auto ca = CertificateAuthority::create(type, "Test Gateway CA");
    X509* cert = ca.certificate();
    EXPECT_EQ(X509_check_ca(cert), 1);
    EXPECT_EQ(X509_check_private_key(cert, ca.key()), 1);
    EXPECT_EQ(X509_verify(cert, ca.key()), 1) << "self-signed";
    EXPECT_TRUE(verifies_as_trust_anchor(cert));
    EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);

    int crit = -1;
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, &crit, nullptr));
    ASSERT_NE(bc, nullptr);
    EXPECT_TRUE(bc->ca);
    EXPECT_EQ(crit, 1);
    ASSERT_NE(bc->pathlen, nullptr);  // pathLenConstraint 0: it signs leaves, never a CA
    EXPECT_EQ(ASN1_INTEGER_get(bc->pathlen), 0);
    BASIC_CONSTRAINTS_free(bc);
    EXPECT_EQ(X509_get_key_usage(cert), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EXPECT_NE(X509_get0_subject_key_id(cert), nullptr);
    EXPECT_EQ(names_of(cert).common_name, "Test Gateway CA");

    EXPECT_NEAR(days_from_now(X509_get0_notBefore(cert)), -1.0, 0.01);
    EXPECT_NEAR(days_from_now(X509_get0_notAfter(cert)), 3650.0, 0.01);
  }
  const auto a = CertificateAuthority::create(KeyType::ec_p256);
  const auto b = CertificateAuthority::create(KeyType::ec_p256);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.certificate()), X509_get0_serialNumber(b.certificate())), 0);
  EXPECT_EQ(names_of(a.certificate()).common_name, "tlsgate CA");
}

TEST(CertificateAuthority, SaveWritesKey0600WhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    SCOPED_TRACE(mask);
    TempDir dir;
    const mode_t old = ::umask(mask);
    CertificateAuthority::create(KeyType::ec_p256).save(dir.file("ca.crt"), dir.file("ca.key"), false);
    ::umask(old);
    EXPECT_EQ(file_mode(dir.file("ca.key")), 0600u);
    EXPECT_EQ(file_mode(dir.file("ca.crt")), 0644u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2)
        << "no temporary files left behind";
  }
}

TEST(CertificateAuthority, SaveRefusesToOverwriteWithoutForce) {
  TempDir dir;
  const std::string crt = dir.file("ca.crt"), key = dir.file("ca.key");
  const auto first = CertificateAuthority::create(KeyType::ec_p256);
  first.save(crt, key, false);
  const std::string crt_before = read_all(crt), key_before = read_all(key);

  const auto second = CertificateAuthority::create(KeyType::ec_p256);
  try {
    second.save(crt, key, false);
    ADD_FAILURE() << "save overwrote an existing CA";
  } catch (const CaError& e) {
    EXPECT_THAT(e.what(), HasSubstr("already exists"));
    EXPECT_THAT(e.what(), HasSubstr("--force"));
  }
  EXPECT_EQ(read_all(crt), crt_before);
  EXPECT_EQ(read_all(key), key_before);

  // Only one of the two present: still refused, and the missing one is not created.
  fs::remove(crt);
  EXPECT_THROW(second.save(crt, key, false), CaError);
  EXPECT_FALSE(fs::exists(crt));
  EXPECT_EQ(read_all(key), key_before);

  second.save(crt, key, true);
  EXPECT_EQ(file_mode(key), 0600u);
  const auto loaded = CertificateAuthority::load(crt, key);
  EXPECT_EQ(X509_cmp(loaded.certificate(), second.certificate()), 0);
  EXPECT_EQ(EVP_PKEY_eq(loaded.key(), second.key()), 1);
}

TEST(CertificateAuthority, SaveReportsAMissingDirectory) {
  TempDir dir;
  EXPECT_THROW(CertificateAuthority::create(KeyType::ec_p256)
                   .save(dir.file("nope/ca.crt"), dir.file("nope/ca.key"), false),
               CaError);
}

TEST(CertificateAuthority, LoadRoundTrips) {
  for (auto type : {KeyType::ec_p256, KeyType::rsa2048}) {
    SCOPED_TRACE(key_type_name(type));
    TempDir dir;
    const auto ca = CertificateAuthority::create(type);
    ca.save(dir.file("ca.crt"), dir.file("ca.key"), false);
    const auto loaded = CertificateAuthority::load(dir.file("ca.crt"), dir.file("ca.key"));
    EXPECT_EQ(X509_cmp(loaded.certificate(), ca.certificate()), 0);
    EXPECT_EQ(EVP_PKEY_eq(loaded.key(), ca.key()), 1);
  }
}

// Failure cases of load(): each must throw CaError with a message naming the problem.
TEST(CertificateAuthority, LoadRejectsBadInput) {
  TempDir dir;
  const auto ca = CertificateAuthority::create(KeyType::ec_p256);
  ca.save(dir.file("ca.crt"), dir.file("ca.key"), false);
  const auto other = CertificateAuthority::create(KeyType::ec_p256);
  other.save(dir.file("other.crt"), dir.file("other.key"), false);

  // A leaf certificate with its own (matching) key: not a CA.
  const EvpPkeyPtr leaf_key = generate_key(KeyType::ec_p256);
  const X509Ptr leaf = forge_leaf(ca, leaf_key.get(), {ca.certificate(), "leaf.example", std::nullopt});
  write_all(dir.file("leaf.crt"), to_pem(leaf.get()));
  {
    BioPtr bio(BIO_new_file(dir.file("leaf.key").c_str(), "w"));
    ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), leaf_key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  }
  // The CA key, encrypted: must fail without prompting for a passphrase.
  {
    BioPtr bio(BIO_new_file(dir.file("encrypted.key").c_str(), "w"));
    const char pass[] = "secret";
    ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), ca.key(), EVP_aes_256_cbc(), pass, 6, nullptr, nullptr), 1);
  }
  write_all(dir.file("garbage.pem"), "not a certificate\n");

  struct Case {
    const char* name;
    std::string cert, key, message;
  };
  const Case cases[] = {
      {"mismatched_key", dir.file("ca.crt"), dir.file("other.key"), "does not match"},
      {"not_a_ca", dir.file("leaf.crt"), dir.file("leaf.key"), "not a CA"},
      {"encrypted_key", dir.file("ca.crt"), dir.file("encrypted.key"), "encrypted keys are not supported"},
      {"missing_cert", dir.file("missing.crt"), dir.file("ca.key"), "missing.crt"},
      {"missing_key", dir.file("ca.crt"), dir.file("missing.key"), "missing.key"},
      {"garbage_cert", dir.file("garbage.pem"), dir.file("ca.key"), "no PEM certificate"},
      {"garbage_key", dir.file("ca.crt"), dir.file("garbage.pem"), "no usable PEM private key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      CertificateAuthority::load(c.cert, c.key);
      ADD_FAILURE() << "loaded";
    } catch (const CaError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.message));
    }
  }
}

TEST(CertificateAuthority, LoadOrCreateCreatesOnceThenLoads) {
  TempDir dir;
  const std::string state = dir.file("state/sub");
  bool created = false;
  const auto first = CertificateAuthority::load_or_create(state, KeyType::ec_p256, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(file_mode(state), 0700u);
  EXPECT_EQ(file_mode(CertificateAuthority::key_path_in(state)), 0600u);

  const auto second = CertificateAuthority::load_or_create(state, KeyType::rsa2048, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(X509_cmp(first.certificate(), second.certificate()), 0);
  EXPECT_EQ(EVP_PKEY_eq(first.key(), second.key()), 1);

  fs::remove(CertificateAuthority::key_path_in(state));
  try {
    CertificateAuthority::load_or_create(state, KeyType::ec_p256, &created);
    ADD_FAILURE() << "accepted a CA without its key";
  } catch (const CaError& e) {
    EXPECT_THAT(e.what(), HasSubstr("ca.key' is missing"));
  }
  EXPECT_FALSE(fs::exists(CertificateAuthority::key_path_in(state))) << "must not replace a lone certificate";
}

}  // namespace
}  // namespace tlsgate::tls

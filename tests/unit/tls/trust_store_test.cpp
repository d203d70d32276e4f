#include "gateway/tls/trust_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include <unistd.h>

#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/forge.hpp"

namespace tlsgate::tls {
namespace {

using ::testing::HasSubstr;

int verify_with(X509_STORE* store, X509* leaf) {
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store, leaf, nullptr);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

std::string temp_file(const std::string& contents) {
  char tmpl[] = "/tmp/tlsgate_trust_test.XXXXXX";
  const int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(tmpl, std::ios::binary) << contents;
  return tmpl;
}

TEST(TrustStore, ExtraCaFileIsTrusted) {
  const auto private_ca = CertificateAuthority::create(KeyType::ec_p256, "Lab Upstream CA");
  const EvpPkeyPtr key = generate_key(KeyType::ec_p256);
  // A server certificate from the private CA (the forge is a convenient issuer here).
  const X509Ptr server = forge_leaf(private_ca, key.get(), {private_ca.certificate(), "lab.test", std::nullopt});

  const X509StorePtr system_only = load_trust_store(std::nullopt);
  EXPECT_EQ(verify_with(system_only.get(), server.get()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

  const std::string path = temp_file(to_pem(private_ca.certificate()));
  const X509StorePtr with_extra = load_trust_store(path);
  std::remove(path.c_str());
  EXPECT_EQ(verify_with(with_extra.get(), server.get()), X509_V_OK);
}

TEST(TrustStore, UnreadableExtraFileIsAClearError) {
  const std::string garbage = temp_file("no certificates here\n");
  struct Case {
    const char* name;
    std::string path;
  };
  for (const auto& c : {Case{"missing", "/nonexistent/upstream-ca.pem"}, Case{"no_certificate", garbage}}) {
    SCOPED_TRACE(c.name);
    try {
      load_trust_store(c.path);
      ADD_FAILURE() << "loaded";
    } catch (const OpenSslError& e) {
      EXPECT_THAT(e.what(), HasSubstr("cannot load upstream CA file '" + c.path + "'"));
    }
  }
  std::remove(garbage.c_str());
}

TEST(TrustStore, VerifyErrorText) {
  EXPECT_EQ(verify_error_text(X509_V_OK), "ok");
  EXPECT_EQ(verify_error_text(X509_V_ERR_CERT_HAS_EXPIRED), "certificate has expired");
  EXPECT_EQ(verify_error_text(X509_V_ERR_HOSTNAME_MISMATCH), "hostname mismatch");
}

TEST(TrustStore, CertificateSummary) {
  const auto ca = CertificateAuthority::create(KeyType::ec_p256, "Summary CA");
  const EvpPkeyPtr key = generate_key(KeyType::ec_p256);
  const X509Ptr leaf = forge_leaf(ca, key.get(), {ca.certificate(), "www.example.com", std::nullopt});
  const auto summary = certificate_summary(leaf.get());
  ASSERT_EQ(summary.size(), 6u);
  auto it = summary.begin();
  EXPECT_EQ(it.key(), "subject");
  EXPECT_EQ(*it, "CN=Summary CA") << "the forge copies the upstream (here: the CA) CN";
  EXPECT_EQ((++it).key(), "issuer");
  EXPECT_EQ(*it, "CN=Summary CA");
  EXPECT_EQ((++it).key(), "sans");
  EXPECT_EQ(*it, nlohmann::ordered_json::array({"www.example.com"})) << "the SNI is added as a SAN";
  EXPECT_EQ((++it).key(), "not_before");
  EXPECT_TRUE(std::regex_match(it->get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << *it;
  EXPECT_EQ((++it).key(), "not_after");
  EXPECT_TRUE(std::regex_match(it->get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << *it;
  EXPECT_EQ((++it).key(), "sha256");
  EXPECT_EQ(*it, sha256_fingerprint(leaf.get()));

  // Non-ASCII and RFC 2253 special characters stay valid (ASCII) JSON text.
  X509Ptr odd(X509_dup(ca.certificate()));
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Caf\xc3\xa9, Inc"), -1,
                             -1, 0);
  X509_set_subject_name(odd.get(), name);
  X509_NAME_free(name);
  const std::string subject = certificate_summary(odd.get())["subject"];
  EXPECT_EQ(subject, "O=Caf\\C3\\A9\\, Inc");
  EXPECT_NO_THROW(certificate_summary(odd.get()).dump());
}

}  // namespace
}  // namespace tlsgate::tls

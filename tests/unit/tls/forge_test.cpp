#include "gateway/tls/forge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tlsgate::tls {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

struct Upstream {
  std::optional<std::string> cn;
  std::vector<std::string> dns;  // raw bytes, may hold a NUL
  std::vector<std::string> ips;
};

// An "upstream" server certificate issued by `issuer` (a separate test public CA), built
// directly with OpenSSL the way a real CA would.
X509Ptr make_upstream(const CertificateAuthority& issuer, const Upstream& u) {
  const EvpPkeyPtr key = generate_key(KeyType::ec_p256);
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  set_random_serial(cert.get());
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.certificate()));
  if (u.cn) {
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("Example Org"), -1, -1, 0);
    X509_NAME_add_entry_by_NID(X509_get_subject_name(cert.get()), NID_commonName, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(u.cn->c_str()), -1, -1, 0);
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 90L * 86400);
  X509_set_pubkey(cert.get(), key.get());
  GENERAL_NAMES* sans = sk_GENERAL_NAME_new_null();
  for (const auto& d : u.dns) {
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, d.data(), static_cast<int>(d.size()));
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    sk_GENERAL_NAME_push(sans, gn);
  }
  for (const auto& ip : u.ips) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_IPADD, a2i_IPADDRESS(ip.c_str()));
    sk_GENERAL_NAME_push(sans, gn);
  }
  if (sk_GENERAL_NAME_num(sans) > 0) X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans, 0, 0);
  GENERAL_NAMES_free(sans);
  add_extension(cert.get(), issuer.certificate(), NID_ext_key_usage, "serverAuth");
  EXPECT_GT(X509_sign(cert.get(), issuer.key(), EVP_sha256()), 0);
  return cert;
}

const Upstream example_com{
    "www.example.com",
    {"www.example.com", "example.com", "*.cdn.example.com", "api.example.com"},
    {"192.0.2.10", "2001:db8::1"},
};

// X509_verify_cert against a store holding only `ca`, for a TLS server.
int verify_server(X509* ca, X509* leaf) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

double days_from_now(const ASN1_TIME* t) {
  int days = 0, seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, t), 1);
  return days + seconds / 86400.0;
}

class Forge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    public_ca_ = new CertificateAuthority(CertificateAuthority::create(KeyType::ec_p256, "Test Public CA"));
    gateway_ca_ = new CertificateAuthority(CertificateAuthority::create(KeyType::ec_p256, "Test Gateway CA"));
    leaf_key_ = generate_key(KeyType::ec_p256).release();
  }
  static void TearDownTestSuite() {
    delete public_ca_;
    delete gateway_ca_;
    EVP_PKEY_free(leaf_key_);
  }
  static CertificateAuthority* public_ca_;
  static CertificateAuthority* gateway_ca_;
  static EVP_PKEY* leaf_key_;
};
CertificateAuthority* Forge::public_ca_ = nullptr;
CertificateAuthority* Forge::gateway_ca_ = nullptr;
EVP_PKEY* Forge::leaf_key_ = nullptr;

TEST_F(Forge, NamesOfReadsCnAndSans) {
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  ASSERT_EQ(verify_server(public_ca_->certificate(), upstream.get()), X509_V_OK) << "test setup";
  const CertNames names = names_of(upstream.get());
  EXPECT_EQ(names.common_name, "www.example.com");
  EXPECT_THAT(names.dns_names, ElementsAreArray(example_com.dns));
  EXPECT_THAT(names.ip_addresses, ElementsAre("192.0.2.10", "2001:db8::1"));
}

TEST_F(Forge, NamesOfDropsUnsafeDnsNames) {
  const X509Ptr upstream = make_upstream(
      *public_ca_, {"a.example", {std::string("evil.example\0.good.example", 26), "ok.example", "bad name"}, {}});
  EXPECT_THAT(names_of(upstream.get()).dns_names, ElementsAre("ok.example"));
}

// 100,000 DNS SANs, every host twice in different case, plus a DNS SAN spelling an address
// that is also an IP SAN. A quadratic collection would not finish within the test's time.
TEST_F(Forge, NamesOfHundredThousandSansIsLinearAndCapped) {
  constexpr std::size_t hosts = 50'000;
  Upstream u{"big.example", {}, {"192.0.2.1"}};
  u.dns.reserve(2 * hosts + 1);
  u.dns.push_back("192.0.2.1");
  for (std::size_t i = 0; i < hosts; ++i) {
    u.dns.push_back("Host-" + std::to_string(i) + ".Example");
    u.dns.push_back("host-" + std::to_string(i) + ".example");
  }
  const X509Ptr upstream = make_upstream(*public_ca_, u);

  const CertNames all = names_of(upstream.get(), 200'000);
  EXPECT_FALSE(all.capped);
  ASSERT_EQ(all.dns_names.size(), hosts + 1);
  EXPECT_EQ(all.dns_names[0], "192.0.2.1");
  EXPECT_EQ(all.dns_names[1], "Host-0.Example");  // the first spelling is kept
  EXPECT_EQ(all.dns_names.back(), "Host-49999.Example");
  EXPECT_THAT(all.ip_addresses, ElementsAre("192.0.2.1"));

  const CertNames capped = names_of(upstream.get());
  EXPECT_TRUE(capped.capped);
  EXPECT_EQ(capped.dns_names.size() + capped.ip_addresses.size(), default_max_certificate_names);
  EXPECT_EQ(capped.dns_names[default_max_certificate_names - 1], "Host-998.Example");
  EXPECT_EQ(capped.common_name, "big.example");

  // Exactly at the cap is not past it: duplicates do not count.
  const CertNames exact = names_of(upstream.get(), hosts + 2);
  EXPECT_FALSE(exact.capped);
  EXPECT_EQ(names_of(upstream.get(), hosts + 1).capped, true);
}

TEST_F(Forge, RefusesToForgePastTheNameCap) {
  Upstream u{"many.example", {}, {}};
  for (int i = 0; i < 40; ++i) u.dns.push_back("h" + std::to_string(i) + ".many.example");
  const X509Ptr upstream = make_upstream(*public_ca_, u);
  ForgeRequest request{upstream.get(), "h0.many.example", std::nullopt, 39};
  EXPECT_THROW(forge_leaf(*gateway_ca_, leaf_key_, request), TooManyNames);
  request.max_names = 40;  // at the cap, and the SNI (a new name) still fits
  request.sni = "new.many.example";
  const X509Ptr leaf = forge_leaf(*gateway_ca_, leaf_key_, request);
  const CertNames names = names_of(leaf.get(), 100);
  EXPECT_EQ(names.dns_names.size(), 41u);
  EXPECT_EQ(names.dns_names.back(), "new.many.example");
  EXPECT_EQ(verify_server(gateway_ca_->certificate(), leaf.get()), X509_V_OK);
}

TEST_F(Forge, LeafCopiesNamesAndVerifiesAgainstTheGatewayCa) {
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  const X509Ptr leaf = forge_leaf(*gateway_ca_, leaf_key_, {upstream.get(), "www.example.com", std::nullopt});

  EXPECT_EQ(verify_server(gateway_ca_->certificate(), leaf.get()), X509_V_OK);
  EXPECT_EQ(verify_server(public_ca_->certificate(), leaf.get()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf.get()), X509_get_subject_name(gateway_ca_->certificate())), 0);

  const CertNames names = names_of(leaf.get());
  EXPECT_EQ(names.common_name, "www.example.com");
  EXPECT_THAT(names.dns_names, ElementsAreArray(example_com.dns)) << "SNI already present: nothing added";
  EXPECT_THAT(names.ip_addresses, ElementsAre("192.0.2.10", "2001:db8::1"));
  for (const char* host : {"www.example.com", "example.com", "x.cdn.example.com", "api.example.com"}) {
    SCOPED_TRACE(host);
    EXPECT_EQ(X509_check_host(leaf.get(), host, 0, 0, nullptr), 1);
  }
  EXPECT_EQ(X509_check_host(leaf.get(), "other.example.org", 0, 0, nullptr), 0);
  for (const char* ip : {"192.0.2.10", "2001:db8::1"}) {
    SCOPED_TRACE(ip);
    EXPECT_EQ(X509_check_ip_asc(leaf.get(), ip, 0), 1);
  }
  EXPECT_EQ(X509_check_private_key(leaf.get(), leaf_key_), 1);
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_ecdsa_with_SHA256);
}

TEST_F(Forge, LeafExtensions) {
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  const X509Ptr leaf = forge_leaf(*gateway_ca_, leaf_key_, {upstream.get(), "www.example.com", std::nullopt});
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_EQ(X509_get_key_usage(leaf.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  ASSERT_NE(X509_get0_authority_key_id(leaf.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf.get()),
                                  X509_get0_subject_key_id(gateway_ca_->certificate())),
            0);
  EXPECT_NE(X509_get0_subject_key_id(leaf.get()), nullptr);
  int crit = -1;
  GENERAL_NAMES_free(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, &crit, nullptr)));
  EXPECT_EQ(crit, 0) << "the subject has a CN, so the SANs need not be critical";
}

TEST_F(Forge, AddsTheSniWhenMissing) {
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  const X509Ptr leaf = forge_leaf(*gateway_ca_, leaf_key_, {upstream.get(), "Other.Example.ORG", std::nullopt});
  const CertNames names = names_of(leaf.get());
  EXPECT_EQ(names.common_name, "www.example.com") << "CN stays the upstream's";
  std::vector<std::string> expected = example_com.dns;
  expected.push_back("other.example.org");
  EXPECT_THAT(names.dns_names, ElementsAreArray(expected));
  EXPECT_EQ(X509_check_host(leaf.get(), "other.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(verify_server(gateway_ca_->certificate(), leaf.get()), X509_V_OK);
}

TEST_F(Forge, SniAndServerIpEdgeCases) {
  const X509Ptr bare = make_upstream(*public_ca_, {std::nullopt, {}, {}});
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  struct Case {
    const char* name;
    X509* upstream;
    std::optional<std::string> sni, server_ip;
    std::optional<std::string> cn;
    std::vector<std::string> dns, ips;
  };
  const std::vector<std::string> upstream_dns = example_com.dns;
  const Case cases[] = {
      {"bare_with_sni", bare.get(), "host.example", std::nullopt, "host.example", {"host.example"}, {}},
      {"bare_with_server_ip", bare.get(), std::nullopt, "198.51.100.7", "198.51.100.7", {}, {"198.51.100.7"}},
      {"server_ip_ignored_with_sni", bare.get(), "host.example", "198.51.100.7", "host.example", {"host.example"}, {}},
      {"ip_literal_sni", bare.get(), "203.0.113.5", std::nullopt, "203.0.113.5", {}, {"203.0.113.5"}},
      {"server_ip_canonicalised", upstream.get(), std::nullopt, "2001:0db8:0:0::1", "www.example.com",
       upstream_dns, {"192.0.2.10", "2001:db8::1"}},
      {"config_syntax_sni_not_added", upstream.get(), "a.example,DNS:evil.example", std::nullopt,
       "www.example.com", upstream_dns, {"192.0.2.10", "2001:db8::1"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const X509Ptr leaf = forge_leaf(*gateway_ca_, leaf_key_, {c.upstream, c.sni, c.server_ip});
    const CertNames names = names_of(leaf.get());
    EXPECT_EQ(names.common_name, c.cn);
    EXPECT_THAT(names.dns_names, ElementsAreArray(c.dns));
    EXPECT_THAT(names.ip_addresses, ElementsAreArray(c.ips));
    EXPECT_EQ(verify_server(gateway_ca_->certificate(), leaf.get()), X509_V_OK);
  }
  const X509Ptr nothing = forge_leaf(*gateway_ca_, leaf_key_, {bare.get(), std::nullopt, std::nullopt});
  EXPECT_EQ(names_of(nothing.get()).common_name, std::nullopt);
  EXPECT_THROW(forge_leaf(*gateway_ca_, leaf_key_, {}), std::invalid_argument);
}

TEST_F(Forge, SerialIsRandom128Bit) {
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  const X509Ptr a = forge_leaf(*gateway_ca_, leaf_key_, {upstream.get(), "www.example.com", std::nullopt});
  const X509Ptr b = forge_leaf(*gateway_ca_, leaf_key_, {upstream.get(), "www.example.com", std::nullopt});
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
  for (X509* leaf : {a.get(), b.get()}) {
    std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), nullptr),
                                                   BN_free);
    EXPECT_FALSE(BN_is_negative(bn.get()));
    EXPECT_LE(BN_num_bits(bn.get()), 128);
    EXPECT_GT(BN_num_bits(bn.get()), 64) << "fails with probability 2^-64";
  }
}

TEST_F(Forge, ValidityStartsADayAgoAndStaysWithinLimits) {
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  const X509Ptr leaf = forge_leaf(*gateway_ca_, leaf_key_, {upstream.get(), "www.example.com", std::nullopt});
  EXPECT_NEAR(days_from_now(X509_get0_notBefore(leaf.get())), -1.0, 0.01);
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(leaf.get()), X509_get0_notAfter(leaf.get())), 1);
  EXPECT_EQ(days, 397);
  EXPECT_EQ(seconds, 0);
  EXPECT_LE(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()), X509_get0_notAfter(gateway_ca_->certificate())), 0);
}

TEST_F(Forge, ValidityNeverOutlivesTheCa) {
  // A CA that expires in 30 days: same key and names as the gateway CA, shorter notAfter.
  X509Ptr short_cert(X509_dup(gateway_ca_->certificate()));
  X509_gmtime_adj(X509_getm_notAfter(short_cert.get()), 30L * 86400);
  ASSERT_GT(X509_sign(short_cert.get(), gateway_ca_->key(), EVP_sha256()), 0);
  char dir_tmpl[] = "/tmp/tlsgate_forge_test.XXXXXX";
  const std::string dir = mkdtemp(dir_tmpl);
  {
    BioPtr bio(BIO_new_file((dir + "/ca.crt").c_str(), "w"));
    PEM_write_bio_X509(bio.get(), short_cert.get());
    BioPtr key(BIO_new_file((dir + "/ca.key").c_str(), "w"));
    PEM_write_bio_PrivateKey(key.get(), gateway_ca_->key(), nullptr, nullptr, 0, nullptr, nullptr);
  }
  const auto short_ca = CertificateAuthority::load(dir + "/ca.crt", dir + "/ca.key");
  std::remove((dir + "/ca.crt").c_str());
  std::remove((dir + "/ca.key").c_str());
  std::remove(dir.c_str());

  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  const X509Ptr leaf = forge_leaf(short_ca, leaf_key_, {upstream.get(), "www.example.com", std::nullopt});
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()), X509_get0_notAfter(short_cert.get())), 0);
  EXPECT_EQ(verify_server(short_cert.get(), leaf.get()), X509_V_OK);
}

TEST_F(Forge, RsaVariants) {
  struct Case {
    const char* name;
    KeyType ca_type, leaf_type;
    std::uint32_t key_usage;
  };
  const Case cases[] = {
      {"rsa_ca_rsa_leaf", KeyType::rsa2048, KeyType::rsa2048, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT},
      {"ec_ca_rsa_leaf", KeyType::ec_p256, KeyType::rsa2048, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT},
      {"rsa_ca_ec_leaf", KeyType::rsa2048, KeyType::ec_p256, KU_DIGITAL_SIGNATURE},
  };
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto ca = CertificateAuthority::create(c.ca_type);
    const EvpPkeyPtr key = generate_key(c.leaf_type);
    const X509Ptr leaf = forge_leaf(ca, key.get(), {upstream.get(), "new.example.com", std::nullopt});
    EXPECT_EQ(verify_server(ca.certificate(), leaf.get()), X509_V_OK);
    EXPECT_EQ(X509_check_host(leaf.get(), "new.example.com", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_get_key_usage(leaf.get()), c.key_usage);
    EXPECT_EQ(X509_get_signature_nid(leaf.get()),
              c.ca_type == KeyType::ec_p256 ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption);
  }
}

TEST_F(Forge, ForgesConcurrentlyWithOneCaAndKey) {
  const X509Ptr upstream = make_upstream(*public_ca_, example_com);
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string sni = "t" + std::to_string(t) + "-" + std::to_string(i) + ".example.net";
        const X509Ptr leaf = forge_leaf(*gateway_ca_, leaf_key_, {upstream.get(), sni, std::nullopt});
        if (verify_server(gateway_ca_->certificate(), leaf.get()) != X509_V_OK ||
            X509_check_host(leaf.get(), sni.c_str(), 0, 0, nullptr) != 1) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

TEST_F(Forge, CacheKeyCoversEveryInput) {
  const X509Ptr a = make_upstream(*public_ca_, example_com);
  const X509Ptr b = make_upstream(*public_ca_, example_com);  // same names, different key and serial
  const auto key = [](X509* up, std::optional<std::string> sni, std::optional<std::string> ip) {
    return forge_cache_key({up, std::move(sni), std::move(ip)});
  };
  EXPECT_EQ(key(a.get(), "www.example.com", std::nullopt), key(a.get(), "WWW.example.com", std::nullopt));
  EXPECT_EQ(key(a.get(), "www.example.com", "192.0.2.1"), key(a.get(), "www.example.com", "192.0.2.2"))
      << "the server IP is not used when there is an SNI";
  EXPECT_NE(key(a.get(), "www.example.com", std::nullopt), key(b.get(), "www.example.com", std::nullopt));
  EXPECT_NE(key(a.get(), "www.example.com", std::nullopt), key(a.get(), "example.com", std::nullopt));
  EXPECT_NE(key(a.get(), std::nullopt, "192.0.2.1"), key(a.get(), std::nullopt, "192.0.2.2"));
  EXPECT_NE(key(a.get(), "|ip:192.0.2.1", std::nullopt), key(a.get(), std::nullopt, "192.0.2.1"));
}

TEST_F(Forge, Sha256FingerprintIsTheDigestOfTheDer) {
  const X509Ptr cert = make_upstream(*public_ca_, example_com);
  const std::string der = to_der(cert.get());
  unsigned char digest[32];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(der.data(), der.size(), digest, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  for (unsigned char byte : digest) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", byte);
    hex += buf;
  }
  EXPECT_EQ(sha256_fingerprint(cert.get()), hex);
}

}  // namespace
}  // namespace tlsgate::tls

#include "gateway/tls/verify_cache.hpp"

#include <gtest/gtest.h>

#include <ctime>

#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/forge.hpp"
#include "gateway/tls/keys.hpp"

namespace tlsgate::tls {
namespace {

struct ChainDeleter {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using ChainPtr = std::unique_ptr<STACK_OF(X509), ChainDeleter>;

// A private CA, a trust store holding it, and leaves it issued (through the forge).
class VerifyCacheTest : public ::testing::Test {
 protected:
  VerifyCacheTest()
      : ca_(CertificateAuthority::create(KeyType::ec_p256, "Verify Cache Test CA")),
        key_(generate_key(KeyType::ec_p256)),
        trusting_(X509_STORE_new()),
        empty_(X509_STORE_new()) {
    X509_STORE_add_cert(trusting_.get(), ca_.certificate());
  }

  X509Ptr leaf(const std::string& host, std::optional<std::string> ip = std::nullopt) {
    return forge_leaf(ca_, key_.get(), {ca_.certificate(), host.empty() ? std::nullopt : std::optional(host), ip});
  }

  // What the upstream SSL does: the leaf, the peer's chain as untrusted, the name to check.
  int verify(X509_STORE* store, X509* leaf, const std::string& host, const std::string& ip = {},
             std::uint64_t generation = 1, std::time_t now = base_time, int* error = nullptr) {
    ChainPtr sent(sk_X509_new_null());
    X509_up_ref(leaf);
    sk_X509_push(sent.get(), leaf);
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store, leaf, sent.get());
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, now);
    if (!host.empty()) X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (!ip.empty()) X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str());
    const int ok = verify_with_cache(ctx.get(), cache_, generation, now);
    if (error) *error = X509_STORE_CTX_get_error(ctx.get());
    return ok;
  }

  static constexpr std::time_t base_time = 0;  // callers pass the real clock (now_s)
  CertificateAuthority ca_;
  EvpPkeyPtr key_;
  X509StorePtr trusting_;
  X509StorePtr empty_;
  VerifyCache cache_{16, std::chrono::seconds(60)};
};

// The forged leaves are valid from yesterday for about a year: use the real clock.
std::time_t now_s() { return std::time(nullptr); }

TEST_F(VerifyCacheTest, SuccessIsRememberedAndSkipsTheChainCheck) {
  const X509Ptr cert = leaf("a.test");
  int error = -1;
  ASSERT_EQ(verify(trusting_.get(), cert.get(), "a.test", {}, 1, now_s(), &error), 1);
  EXPECT_EQ(error, X509_V_OK);
  EXPECT_EQ(cache_.size(), 1u);
  // The store that cannot verify it: only a hit can succeed.
  EXPECT_EQ(verify(empty_.get(), cert.get(), "a.test", {}, 1, now_s(), &error), 1);
  EXPECT_EQ(error, X509_V_OK);
}

TEST_F(VerifyCacheTest, NameIsCheckedOnEveryHit) {
  const X509Ptr cert = leaf("a.test", "192.0.2.7");
  ASSERT_EQ(verify(trusting_.get(), cert.get(), "a.test", {}, 1, now_s()), 1);
  struct Case {
    const char* name;
    std::string host;
    std::string ip;
    int want;
  };
  for (const auto& c : {Case{"same_host", "a.test", "", X509_V_OK}, Case{"host_case", "A.TEST", "", X509_V_OK},
                        Case{"other_host", "b.test", "", X509_V_ERR_HOSTNAME_MISMATCH},
                        Case{"suffix_host", "x.a.test", "", X509_V_ERR_HOSTNAME_MISMATCH},
                        Case{"no_name", "", "", X509_V_OK}}) {
    SCOPED_TRACE(c.name);
    int error = -1;
    EXPECT_EQ(verify(empty_.get(), cert.get(), c.host, c.ip, 1, now_s(), &error), c.want == X509_V_OK ? 1 : 0);
    EXPECT_EQ(error, c.want);
  }
}

TEST_F(VerifyCacheTest, IpIsCheckedOnEveryHit) {
  const X509Ptr cert = leaf("", "192.0.2.7");
  ASSERT_EQ(verify(trusting_.get(), cert.get(), "", "192.0.2.7", 1, now_s()), 1);
  int error = -1;
  EXPECT_EQ(verify(empty_.get(), cert.get(), "", "192.0.2.7", 1, now_s(), &error), 1);
  EXPECT_EQ(error, X509_V_OK);
  EXPECT_EQ(verify(empty_.get(), cert.get(), "", "192.0.2.8", 1, now_s(), &error), 0);
  EXPECT_EQ(error, X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(VerifyCacheTest, FailuresAreNeverRemembered) {
  const X509Ptr cert = leaf("a.test");
  struct Case {
    const char* name;
    X509_STORE* store;
    std::string host;
  };
  for (const auto& c : {Case{"untrusted", empty_.get(), "a.test"}, Case{"wrong_name", trusting_.get(), "b.test"}}) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(verify(c.store, cert.get(), c.host, {}, 1, now_s()), 0);
    EXPECT_EQ(cache_.size(), 0u);
  }
  // Still not trusted the second time.
  int error = -1;
  EXPECT_EQ(verify(empty_.get(), cert.get(), "a.test", {}, 1, now_s(), &error), 0);
  EXPECT_NE(error, X509_V_OK);
}

TEST_F(VerifyCacheTest, KeyCoversChainAndGeneration) {
  const X509Ptr a = leaf("a.test");
  const X509Ptr a_again = leaf("a.test");  // same names, another certificate
  ASSERT_EQ(verify(trusting_.get(), a.get(), "a.test", {}, 1, now_s()), 1);
  EXPECT_EQ(verify(empty_.get(), a_again.get(), "a.test", {}, 1, now_s()), 0) << "other chain";
  EXPECT_EQ(verify(empty_.get(), a.get(), "a.test", {}, 2, now_s()), 0) << "other trust store generation";
  EXPECT_EQ(verify(empty_.get(), a.get(), "a.test", {}, 1, now_s()), 1);

  // The chain is hashed in order and with boundaries.
  ChainPtr one(sk_X509_new_null()), two(sk_X509_new_null());
  X509_up_ref(a_again.get());
  sk_X509_push(one.get(), a_again.get());
  EXPECT_NE(VerifyCache::key_of(a.get(), nullptr, 1), VerifyCache::key_of(a.get(), one.get(), 1));
  EXPECT_EQ(VerifyCache::key_of(a.get(), one.get(), 1), VerifyCache::key_of(a.get(), one.get(), 1));
  EXPECT_NE(VerifyCache::key_of(a.get(), one.get(), 1), VerifyCache::key_of(a_again.get(), nullptr, 1));
}

TEST_F(VerifyCacheTest, EntriesExpireAfterTheTtl) {
  const X509Ptr cert = leaf("a.test");
  const std::time_t t0 = now_s();
  ASSERT_EQ(verify(trusting_.get(), cert.get(), "a.test", {}, 1, t0), 1);
  EXPECT_EQ(verify(empty_.get(), cert.get(), "a.test", {}, 1, t0 + 59), 1);
  EXPECT_EQ(verify(empty_.get(), cert.get(), "a.test", {}, 1, t0 + 60), 0);
  EXPECT_EQ(cache_.size(), 0u);
}

TEST(VerifyCache, EntryNeverOutlivesTheChainsValidity) {
  VerifyCache cache(8, std::chrono::seconds(60));
  const VerifyCache::Key key{1};
  cache.remember(key, 1'000'010, 1'000'000);
  EXPECT_TRUE(cache.contains(key, 1'000'009));
  EXPECT_FALSE(cache.contains(key, 1'000'010));
  cache.remember(key, 999'999, 1'000'000);  // already expired: not kept
  EXPECT_FALSE(cache.contains(key, 1'000'000));
}

TEST(VerifyCache, SizeIsBounded) {
  VerifyCache cache(8, std::chrono::seconds(60));
  for (unsigned char i = 0; i < 100; ++i) cache.remember(VerifyCache::Key{i}, 2'000'000, 1'000'000);
  EXPECT_LE(cache.size(), 8u);
  VerifyCache off(0, std::chrono::seconds(60));
  off.remember(VerifyCache::Key{1}, 2'000'000, 1'000'000);
  EXPECT_EQ(off.size(), 0u);
}

TEST(VerifyCache, EarliestNotAfter) {
  const auto ca = CertificateAuthority::create(KeyType::ec_p256, "Validity CA");
  const EvpPkeyPtr key = generate_key(KeyType::ec_p256);
  const X509Ptr leaf = forge_leaf(ca, key.get(), {ca.certificate(), "a.test", std::nullopt});
  ChainPtr chain(sk_X509_new_null());
  X509_up_ref(leaf.get());
  sk_X509_push(chain.get(), leaf.get());
  X509_up_ref(ca.certificate());
  sk_X509_push(chain.get(), ca.certificate());
  const std::time_t t = earliest_not_after(chain.get());
  EXPECT_GT(t, std::time(nullptr) + 300 * 24 * 3600);  // the leaf: ~397 days, before the CA's end
  EXPECT_LT(t, std::time(nullptr) + 400 * 24 * 3600);
  EXPECT_EQ(earliest_not_after(nullptr), 0);
}

}  // namespace
}  // namespace tlsgate::tls

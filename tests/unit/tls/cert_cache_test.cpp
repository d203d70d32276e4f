#include "gateway/tls/cert_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "gateway/tls/certificate_authority.hpp"

namespace tlsgate::tls {
namespace {

// Distinct real certificates (a cheap self-signed CA per call would be slow; dup one and
// re-serial it so the entries are distinguishable).
X509Ptr make_cert() {
  static const CertificateAuthority ca = CertificateAuthority::create(KeyType::ec_p256);
  X509Ptr cert(X509_dup(ca.certificate()));
  set_random_serial(cert.get());
  return cert;
}

TEST(CertCache, FindReturnsWhatWasInserted) {
  CertCache cache(100);
  EXPECT_EQ(cache.find("a"), nullptr);
  X509Ptr cert = make_cert();
  X509* raw = cert.get();
  const auto inserted = cache.insert("a", std::move(cert));
  EXPECT_EQ(inserted.get(), raw);
  EXPECT_EQ(cache.find("a").get(), raw);
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CertCache, FirstInsertWins) {
  CertCache cache(100);
  const auto first = cache.insert("k", make_cert());
  const auto second = cache.insert("k", make_cert());
  EXPECT_EQ(second.get(), first.get()) << "racing inserts must share one certificate";
  EXPECT_EQ(cache.size(), 1u);
}

TEST(CertCache, EvictsLeastRecentlyUsed) {
  CertCache cache(3);  // small capacity: a single shard, so the LRU order is exact
  const auto a = cache.insert("a", make_cert());
  cache.insert("b", make_cert());
  cache.insert("c", make_cert());
  ASSERT_NE(cache.find("a"), nullptr);  // a is now the most recent; b the least
  cache.insert("d", make_cert());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_NE(cache.find("a"), nullptr);
  EXPECT_NE(cache.find("c"), nullptr);
  EXPECT_NE(cache.find("d"), nullptr);
  cache.insert("e", make_cert());  // LRU is now a (c, d were found after it)
  EXPECT_EQ(cache.find("a"), nullptr);
  EXPECT_NE(X509_get_subject_name(a.get()), nullptr) << "an evicted certificate stays usable by its holders";
}

TEST(CertCache, ShardedCapacityIsTheTotal) {
  for (std::size_t capacity : {1u, 63u, 64u, 100u, 1000u, 1001u}) {
    SCOPED_TRACE(capacity);
    CertCache cache(capacity);
    for (std::size_t i = 0; i < 3 * capacity + 50; ++i) cache.insert("key" + std::to_string(i), make_cert());
    EXPECT_LE(cache.size(), capacity);
    EXPECT_GE(cache.size(), capacity * 9 / 10) << "shards should be filled about evenly";
  }
}

TEST(CertCache, ZeroCapacityCachesNothing) {
  CertCache cache(0);
  EXPECT_NE(cache.insert("a", make_cert()), nullptr);
  EXPECT_EQ(cache.find("a"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CertCache, SharedAcrossThreads) {
  constexpr int threads = 8;
  constexpr int keys = 200;
  CertCache cache(128);  // smaller than the key set: eviction runs concurrently with finds
  std::vector<X509Ptr> certs;
  for (int i = 0; i < threads * 4; ++i) certs.push_back(make_cert());
  std::vector<std::thread> workers;
  std::vector<int> mismatches(threads, 0);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (int k = 0; k < keys; ++k) {
          const std::string key = "host" + std::to_string((k * 7 + t) % keys);
          auto cert = cache.find(key);
          if (cert == nullptr) cert = cache.insert(key, X509Ptr(X509_dup(certs[(t * 4 + k) % certs.size()].get())));
          if (cert == nullptr || X509_get0_serialNumber(cert.get()) == nullptr) ++mismatches[t];
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  for (int t = 0; t < threads; ++t) EXPECT_EQ(mismatches[t], 0);
  EXPECT_LE(cache.size(), 128u);
  // A key inserted by one thread is found, as the same object, by another.
  const auto mine = cache.insert("shared", make_cert());
  std::shared_ptr<X509> theirs;
  std::thread([&] { theirs = cache.find("shared"); }).join();
  EXPECT_EQ(theirs.get(), mine.get());
}

}  // namespace
}  // namespace tlsgate::tls

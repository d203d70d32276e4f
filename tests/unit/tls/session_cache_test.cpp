#include "gateway/tls/session_cache.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tlsgate::tls {
namespace {

// Sessions made by hand: the cache looks only at their protocol version and
// reference counts.
class SessionCacheTest : public ::testing::Test {
 protected:
  ~SessionCacheTest() override {
    for (SSL_SESSION* s : made_) SSL_SESSION_free(s);
  }
  SSL_SESSION* session(int version) {
    SSL_SESSION* s = SSL_SESSION_new();
    SSL_SESSION_set_protocol_version(s, version);
    made_.push_back(s);
    return s;
  }
  // Takes one out and gives the caller's reference back.
  SSL_SESSION* take(SessionCache& cache, const std::string& key) {
    SSL_SESSION* s = cache.get(key);
    if (s) SSL_SESSION_free(s);
    return s;
  }

  std::vector<SSL_SESSION*> made_;
};

TEST_F(SessionCacheTest, Tls13TicketsAreHandedOutOnceNewestFirst) {
  SessionCache cache(100);
  SSL_SESSION* first = session(TLS1_3_VERSION);
  SSL_SESSION* second = session(TLS1_3_VERSION);
  cache.put("a", first);
  cache.put("a", second);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(take(cache, "a"), second);
  EXPECT_EQ(take(cache, "a"), first);
  EXPECT_EQ(cache.get("a"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(SessionCacheTest, ParallelConnectionsEachFindATicket) {
  SessionCache cache(100);
  for (std::size_t i = 0; i < SessionCache::tickets_per_server + 2; ++i) cache.put("a", session(TLS1_3_VERSION));
  EXPECT_EQ(cache.size(), SessionCache::tickets_per_server);  // the oldest went
  for (std::size_t i = 0; i < SessionCache::tickets_per_server; ++i) EXPECT_NE(take(cache, "a"), nullptr) << i;
  EXPECT_EQ(cache.get("a"), nullptr);
}

TEST_F(SessionCacheTest, AnOlderProtocolsSessionIsReusableAndReplacesTickets) {
  SessionCache cache(100);
  cache.put("a", session(TLS1_3_VERSION));
  SSL_SESSION* reusable = session(TLS1_2_VERSION);
  cache.put("a", reusable);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(take(cache, "a"), reusable);
  EXPECT_EQ(take(cache, "a"), reusable);
}

TEST_F(SessionCacheTest, TheLeastRecentlyUsedServerGoesFirst) {
  SessionCache cache(2);
  SSL_SESSION* a = session(TLS1_2_VERSION);
  cache.put("a", a);
  cache.put("b", session(TLS1_2_VERSION));
  EXPECT_EQ(take(cache, "a"), a);           // "a" is now the most recent
  cache.put("c", session(TLS1_2_VERSION));  // over capacity: "b" goes
  EXPECT_EQ(cache.get("b"), nullptr);
  EXPECT_EQ(take(cache, "a"), a);
  EXPECT_NE(take(cache, "c"), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(SessionCacheTest, ZeroCapacityKeepsNothing) {
  SessionCache cache(0);
  cache.put("a", session(TLS1_3_VERSION));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.get("a"), nullptr);
}

}  // namespace
}  // namespace tlsgate::tls

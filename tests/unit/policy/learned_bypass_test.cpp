#include "gateway/policy/learned_bypass.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace tlsgate::policy {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

class LearnedBypassTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "/learned_bypass_" + testing::UnitTest::GetInstance()->current_test_info()->name() +
            ".json";
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  LearnedBypassOptions options(std::chrono::seconds ttl = 3600s, bool all_clients = false) {
    LearnedBypassOptions o;
    o.file = path_;
    o.ttl = ttl;
    o.all_clients = all_clients;
    return o;
  }
  LearnedBypass make(LearnedBypassOptions o) {
    return LearnedBypass(std::move(o), [this](BypassEvent e) {
      std::lock_guard lock(events_mutex_);
      events_.push_back(std::move(e));
    }, [this] { return now_; });
  }
  // "change host client evidence" of each event so far, then forgets them.
  std::vector<std::string> take_events() {
    std::lock_guard lock(events_mutex_);
    std::vector<std::string> out;
    for (const auto& e : events_)
      out.push_back(std::string(to_string(e.change)) + " " + e.entry.host + " " +
                    (e.entry.all_clients ? "*" : e.entry.client.to_string()) + " " + std::to_string(e.entry.evidence));
    events_.clear();
    return out;
  }
  using Events = std::vector<std::string>;

  std::string path_;
  std::mutex events_mutex_;
  std::vector<BypassEvent> events_;
  system_clock::time_point now_ = system_clock::time_point(1'800'000'000s);
};

TEST_F(LearnedBypassTest, StrongEvidenceLearnsAtOncePerClient) {
  auto bypass = make(options());
  bypass.load();  // no file yet: empty
  EXPECT_EQ(bypass.size(), 0u);
  EXPECT_TRUE(bypass.record_rejection("Pinned.Example.", ip("::ffff:10.0.0.5"), Evidence::strong, "TLS alert 48"));
  EXPECT_TRUE(bypass.contains("pinned.example", ip("10.0.0.5")));
  EXPECT_TRUE(bypass.contains("PINNED.example.", ip("::ffff:10.0.0.5")));
  EXPECT_FALSE(bypass.contains("pinned.example", ip("10.0.0.6")));
  EXPECT_FALSE(bypass.contains("other.example", ip("10.0.0.5")));
  EXPECT_EQ(bypass.size(), 1u);
  EXPECT_EQ(take_events(), (Events{"learned pinned.example 10.0.0.5 1"}));
}

TEST_F(LearnedBypassTest, EventCarriesTheEntryAndItsTime) {
  auto bypass = make(options(60s));
  bypass.record_rejection("a.example", ip("fd00::1"), Evidence::strong, "closed before its Finished");
  ASSERT_EQ(events_.size(), 1u);
  const BypassEvent& e = events_[0];
  EXPECT_EQ(e.change, BypassChange::learned);
  EXPECT_EQ(e.ts, now_);
  EXPECT_EQ(e.entry.client, ip("fd00::1"));
  EXPECT_EQ(e.entry.why, "closed before its Finished");
  EXPECT_EQ(e.entry.expires, now_ + 60s);
}

// One client's evidence is not enough for an entry that covers everyone: two
// distinct clients (the default) are, and one more piece renews the live entry.
TEST_F(LearnedBypassTest, AllClients) {
  auto bypass = make(options(3600s, true));
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.0.0.5"), Evidence::strong, "why"));
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("::ffff:10.0.0.5"), Evidence::strong, "why"));
  EXPECT_FALSE(bypass.contains("pinned.example", ip("192.168.1.1")));
  EXPECT_TRUE(take_events().empty());
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("fd00::7"), Evidence::strong, "why"));
  EXPECT_TRUE(bypass.contains("pinned.example", ip("192.168.1.1")));
  EXPECT_EQ(bypass.size(), 1u);
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("10.0.0.5"), Evidence::strong, "why"));
  EXPECT_EQ(take_events(), (Events{"learned pinned.example * 3", "learned pinned.example * 4"}));
  EXPECT_EQ(bypass.learned_total(Evidence::strong, true), 2u);
  EXPECT_EQ(bypass.learned_total(Evidence::strong, false), 0u);
}

TEST_F(LearnedBypassTest, AllClientsEvidenceMustBeWithinTheTtl) {
  auto o = options(100s, true);
  o.all_clients_min_clients = 3;
  auto bypass = make(o);
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.0.0.1"), Evidence::strong, "why"));
  now_ += 60s;
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.0.0.2"), Evidence::strong, "why"));
  now_ += 60s;  // the first client's evidence is older than the ttl
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.0.0.3"), Evidence::strong, "why"));
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("10.0.0.4"), Evidence::strong, "why"));
  EXPECT_EQ(take_events(), (Events{"learned pinned.example * 3"}));
  // Another host's evidence is its own.
  EXPECT_FALSE(bypass.record_rejection("other.example", ip("10.0.0.4"), Evidence::strong, "why"));
}

TEST_F(LearnedBypassTest, AllClientsWeakEvidenceCountsOncePerClientWhenRepeated) {
  auto bypass = make(options(3600s, true));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.0.0.1"), Evidence::weak, "w"));
  for (int i = 0; i < 2; ++i)
    EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.0.0.2"), Evidence::weak, "w"));
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("10.0.0.2"), Evidence::weak, "w"));
  EXPECT_EQ(take_events(), (Events{"learned pinned.example * 6"}));
  EXPECT_EQ(bypass.learned_total(Evidence::weak, true), 1u);
}

TEST_F(LearnedBypassTest, ForgetAndClearDropAllClientsEvidence) {
  auto bypass = make(options(3600s, true));
  bypass.record_rejection("a.example", ip("10.0.0.1"), Evidence::strong, "x");
  EXPECT_EQ(bypass.forget("a.example", std::nullopt), 0u);
  EXPECT_FALSE(bypass.record_rejection("a.example", ip("10.0.0.2"), Evidence::strong, "x"));
  bypass.clear();
  EXPECT_FALSE(bypass.record_rejection("a.example", ip("10.0.0.3"), Evidence::strong, "x"));
  EXPECT_FALSE(bypass.contains("a.example", ip("10.0.0.3")));
}

TEST_F(LearnedBypassTest, AllClientsWitnessesAreClientsNotAddresses) {
  auto o = options(3600s, true);
  o.client_ipv6_prefix = 64;
  auto bypass = make(o);
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("fd00:1::1"), Evidence::strong, "why"));
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("fd00:1::2"), Evidence::strong, "why"));  // same /64
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("fd00:2::1"), Evidence::strong, "why"));
}

TEST_F(LearnedBypassTest, OneAllClientsWitnessWhenConfigured) {
  auto o = options(3600s, true);
  o.all_clients_min_clients = 1;
  auto bypass = make(o);
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("10.0.0.1"), Evidence::strong, "why"));
  EXPECT_TRUE(bypass.contains("pinned.example", ip("10.0.0.9")));
}

TEST_F(LearnedBypassTest, OnlyClientsInsideThePrefixesTeach) {
  auto o = options();
  o.clients = {*Cidr::parse("10.10.1.0/24"), *Cidr::parse("fd00::/8")};
  auto bypass = make(o);
  EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.10.2.5"), Evidence::strong, "why"));
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(bypass.record_rejection("pinned.example", ip("10.10.2.5"), Evidence::weak, "why"));
  EXPECT_FALSE(bypass.contains("pinned.example", ip("10.10.2.5")));
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("::ffff:10.10.1.7"), Evidence::strong, "why"));
  EXPECT_TRUE(bypass.record_rejection("pinned.example", ip("fd00::7"), Evidence::strong, "why"));
  EXPECT_EQ(take_events(), (Events{"learned pinned.example 10.10.1.7 1", "learned pinned.example fd00::7 1"}));
  EXPECT_EQ(bypass.learned_total(Evidence::strong, false), 2u);
}

// Chromium's spare connection: one silent close after a completed handshake is not enough.
TEST_F(LearnedBypassTest, WeakEvidenceNeedsRepetitionWithinTheWindow) {
  auto bypass = make(options());
  const auto client = ip("10.0.0.5");
  EXPECT_FALSE(bypass.record_rejection("h.example", client, Evidence::weak, "silent"));
  now_ += 100s;
  EXPECT_FALSE(bypass.record_rejection("h.example", client, Evidence::weak, "silent"));
  EXPECT_FALSE(bypass.record_rejection("h.example", ip("10.0.0.6"), Evidence::weak, "silent"));  // another client
  EXPECT_FALSE(bypass.record_rejection("other.example", client, Evidence::weak, "silent"));      // another host
  EXPECT_FALSE(bypass.contains("h.example", client));
  EXPECT_TRUE(take_events().empty());
  now_ += 499s;  // the third within 600 s of the first
  EXPECT_TRUE(bypass.record_rejection("h.example", client, Evidence::weak, "silent"));
  EXPECT_TRUE(bypass.contains("h.example", client));
  EXPECT_EQ(take_events(), (Events{"learned h.example 10.0.0.5 3"}));
}

TEST_F(LearnedBypassTest, WeakEvidenceOutsideTheWindowDoesNotAddUp) {
  auto bypass = make(options());
  const auto client = ip("10.0.0.5");
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(bypass.record_rejection("h.example", client, Evidence::weak, "silent"));
    now_ += 301s;  // only two ever within 600 s
  }
  EXPECT_EQ(bypass.size(), 0u);
}

TEST_F(LearnedBypassTest, SuccessBlocksWeakEvidenceInTheWindow) {
  auto bypass = make(options());
  const auto client = ip("10.0.0.5");
  bypass.record_rejection("h.example", client, Evidence::weak, "silent");
  bypass.record_rejection("h.example", client, Evidence::weak, "silent");
  bypass.record_success("h.example", client);  // resets the count...
  for (int i = 0; i < 5; ++i)  // ...and blocks counting while it is in the window
    EXPECT_FALSE(bypass.record_rejection("h.example", client, Evidence::weak, "silent"));
  // Strong evidence still learns at once.
  EXPECT_TRUE(bypass.record_rejection("h.example", client, Evidence::strong, "TLS alert 48"));
  EXPECT_TRUE(bypass.forget("h.example", client) == 1);
  now_ += 600s;  // the success has left the window
  bypass.record_rejection("h.example", client, Evidence::weak, "silent");
  bypass.record_rejection("h.example", client, Evidence::weak, "silent");
  EXPECT_TRUE(bypass.record_rejection("h.example", client, Evidence::weak, "silent"));
}

TEST_F(LearnedBypassTest, ConfiguredThreshold) {
  auto o = options();
  o.weak_threshold = 1;
  auto bypass = make(o);
  EXPECT_TRUE(bypass.record_rejection("h.example", ip("10.0.0.5"), Evidence::weak, "silent"));
}

TEST_F(LearnedBypassTest, ExpiresWithAnEventWhenNoticed) {
  auto bypass = make(options(60s));
  bypass.add("a.example", ip("10.0.0.1"), "why");
  now_ += 59s;
  bypass.add("b.example", ip("10.0.0.1"), "why");
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));
  take_events();
  now_ += 1s;  // a.example is exactly ttl old: gone
  EXPECT_FALSE(bypass.contains("a.example", ip("10.0.0.1")));
  EXPECT_EQ(take_events(), (Events{"expired a.example 10.0.0.1 1"}));
  EXPECT_TRUE(bypass.contains("b.example", ip("10.0.0.1")));
  EXPECT_EQ(bypass.size(), 1u);
  now_ += 60s;
  EXPECT_EQ(bypass.sweep(), 1u);  // the control thread's sweep
  EXPECT_EQ(take_events(), (Events{"expired b.example 10.0.0.1 1"}));
  EXPECT_EQ(bypass.sweep(), 0u);
}

TEST_F(LearnedBypassTest, ListForgetClear) {
  auto bypass = make(options());
  bypass.add("b.example", ip("10.0.0.2"), "x");
  bypass.add("a.example", ip("10.0.0.2"), "x");
  bypass.add("a.example", ip("10.0.0.1"), "x");
  take_events();
  const auto entries = bypass.list();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].host + " " + entries[0].client.to_string(), "a.example 10.0.0.1");
  EXPECT_EQ(entries[2].host, "b.example");
  EXPECT_EQ(bypass.forget("A.Example.", ip("10.0.0.1")), 1u);
  EXPECT_EQ(take_events(), (Events{"forgotten a.example 10.0.0.1 1"}));
  EXPECT_EQ(bypass.forget("nothing.example", std::nullopt), 0u);
  bypass.add("a.example", ip("10.0.0.3"), "x");
  take_events();
  EXPECT_EQ(bypass.forget("a.example", std::nullopt), 2u);
  EXPECT_FALSE(bypass.contains("a.example", ip("10.0.0.2")));
  EXPECT_EQ(take_events().size(), 2u);
  EXPECT_EQ(bypass.clear(), 1u);
  EXPECT_EQ(take_events(), (Events{"cleared b.example 10.0.0.2 1"}));
  EXPECT_EQ(bypass.size(), 0u);
}

TEST_F(LearnedBypassTest, ForgetWithClientRemovesAnAllClientsEntry) {
  auto bypass = make(options(3600s, true));
  bypass.add("a.example", ip("10.0.0.1"), "x");
  bypass.add("a.example", ip("10.0.0.2"), "x");
  EXPECT_EQ(bypass.forget("a.example", ip("10.9.9.9")), 1u);
}

TEST_F(LearnedBypassTest, PerClientCapDropsThatClientsOldest) {
  auto o = options();
  o.max_per_client = 2;
  auto bypass = make(o);
  bypass.add("1.example", ip("10.0.0.1"), "x");
  now_ += 1s;
  bypass.add("other.example", ip("10.0.0.9"), "x");
  bypass.add("2.example", ip("10.0.0.1"), "x");
  now_ += 1s;
  take_events();
  bypass.add("3.example", ip("10.0.0.1"), "x");
  EXPECT_EQ(take_events(), (Events{"evicted 1.example 10.0.0.1 1", "learned 3.example 10.0.0.1 1"}));
  EXPECT_FALSE(bypass.contains("1.example", ip("10.0.0.1")));
  EXPECT_TRUE(bypass.contains("other.example", ip("10.0.0.9")));
  EXPECT_EQ(bypass.size(), 3u);
  bypass.add("3.example", ip("10.0.0.1"), "again");  // renewing is not a new entry
  EXPECT_EQ(take_events(), (Events{"learned 3.example 10.0.0.1 2"}));
}

// Addresses of one /64 share max_per_client: cycling them evicts only that prefix's entries.
TEST_F(LearnedBypassTest, PerClientCapCountsAnIpv6Prefix) {
  auto o = options();
  o.max_per_client = 2;
  o.client_ipv6_prefix = 64;
  auto bypass = make(o);
  bypass.add("victim.example", ip("2001:db8:9::1"), "x");
  now_ += 1s;
  for (int i = 1; i <= 5; ++i) {
    bypass.add(std::to_string(i) + ".example", ip(("2001:db8:1::" + std::to_string(i)).c_str()), "x");
    now_ += 1s;
  }
  EXPECT_TRUE(bypass.contains("victim.example", ip("2001:db8:9::1")));
  EXPECT_EQ(bypass.size(), 3u);  // the victim and the prefix's newest two
  EXPECT_TRUE(bypass.contains("5.example", ip("2001:db8:1::5")));
  EXPECT_FALSE(bypass.contains("3.example", ip("2001:db8:1::3")));
}

TEST_F(LearnedBypassTest, GlobalCapDropsTheFirstToExpire) {
  auto o = options();
  o.max_entries = 2;
  auto bypass = make(o);
  bypass.add("1.example", ip("10.0.0.1"), "x");
  now_ += 1s;
  bypass.add("2.example", ip("10.0.0.2"), "x");
  bypass.add("3.example", ip("10.0.0.3"), "x");
  EXPECT_FALSE(bypass.contains("1.example", ip("10.0.0.1")));
  EXPECT_EQ(bypass.size(), 2u);
}

TEST_F(LearnedBypassTest, SavesOnlyWhenAskedAndDirty) {
  auto bypass = make(options(100s));
  EXPECT_FALSE(bypass.dirty());
  bypass.add("old.example", ip("10.0.0.1"), "why");
  EXPECT_TRUE(bypass.dirty());
  EXPECT_FALSE(std::ifstream(path_).good());  // learning never writes the file
  bypass.save_if_dirty();
  EXPECT_FALSE(bypass.dirty());
  now_ += 50s;
  bypass.record_rejection("new.example", ip("fd00::1"), Evidence::strong, "client_rejected_certificate");
  bypass.save_if_dirty();
  std::ifstream in(path_);
  std::stringstream saved;
  saved << in.rdbuf();
  EXPECT_NE(saved.str().find("client_rejected_certificate"), std::string::npos);

  now_ += 60s;  // old.example expired (110 s), new.example has 40 s left
  auto reloaded = make(options(100s));
  reloaded.load();
  EXPECT_FALSE(reloaded.dirty());
  EXPECT_EQ(reloaded.size(), 1u);
  EXPECT_TRUE(reloaded.contains("new.example", ip("fd00::1")));
  EXPECT_FALSE(reloaded.contains("old.example", ip("10.0.0.1")));
  EXPECT_EQ(reloaded.list().at(0).why, "client_rejected_certificate");
  // Loaded in all-clients mode, the same file keys on hosts only.
  auto all = make(options(100s, true));
  all.load();
  EXPECT_TRUE(all.contains("new.example", ip("10.9.9.9")));
}

TEST_F(LearnedBypassTest, LoadsTheOldFormat) {
  std::ofstream(path_) << R"({"entries": [{"host": "A.example", "client": "10.0.0.1", "why": "w", "expires": 1900000000}]})";
  auto bypass = make(options());
  bypass.load();
  ASSERT_EQ(bypass.list().size(), 1u);
  EXPECT_EQ(bypass.list()[0].evidence, 1u);
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));
}

TEST_F(LearnedBypassTest, CorruptFile) {
  std::ofstream(path_) << R"({"entries": [{"host": "a", "client": "not-an-ip", "expires": 1}]})";
  auto bypass = make(options(100s));
  try {
    bypass.load();
    ADD_FAILURE() << "no error";
  } catch (const LearnedBypassError& e) {
    EXPECT_EQ(std::string(e.what()),
              path_ + ": corrupt learned-bypass file (delete it to start afresh): bad client address \"not-an-ip\"");
  }
  std::ofstream(path_) << "{";
  EXPECT_THROW(bypass.load(), LearnedBypassError);
  std::ofstream(path_) << R"({"entries": 3})";
  EXPECT_THROW(bypass.load(), LearnedBypassError);
}

TEST_F(LearnedBypassTest, UnwritableFileKeepsTheEntryAndStaysDirty) {
  auto o = options(100s);
  o.file = testing::TempDir() + "/no/such/dir/bypass.json";
  auto bypass = make(o);
  bypass.add("a.example", ip("10.0.0.1"), "why");  // never throws: no I/O here
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));
  EXPECT_THROW(bypass.save_if_dirty(), LearnedBypassError);
  EXPECT_TRUE(bypass.dirty());
}

// Readers on the data path while others learn, succeed and save: no torn state (ASan/TSan).
TEST_F(LearnedBypassTest, ConcurrentUse) {
  LearnedBypass bypass(options());
  std::atomic<bool> stop{false};
  std::atomic<long> seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] {
      while (!stop) seen += bypass.contains("h0.example", ip("10.0.0.1")) ? 1 : 0;
    });
  threads.emplace_back([&] {
    while (!stop) bypass.save_if_dirty();
  });
  for (int i = 0; i < 50; ++i) {
    bypass.record_rejection("h" + std::to_string(i) + ".example", ip("10.0.0.1"), Evidence::strong, "why");
    bypass.record_success("s.example", ip("10.0.0.2"));
  }
  stop = true;
  for (auto& t : threads) t.join();
  bypass.save_if_dirty();
  EXPECT_EQ(bypass.size(), 50u);
  LearnedBypass reloaded(options());
  reloaded.load();
  EXPECT_EQ(reloaded.size(), 50u);
}

TEST_F(LearnedBypassTest, MemoryOnly) {
  auto o = options(100s);
  o.file.clear();
  auto bypass = make(o);
  bypass.load();
  bypass.add("a.example", ip("10.0.0.1"), "why");
  bypass.save_if_dirty();
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));
}

}  // namespace
}  // namespace tlsgate::policy

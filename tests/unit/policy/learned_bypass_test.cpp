#include "gateway/policy/learned_bypass.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>
#include <fstream>
#include <sstream>

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
  LearnedBypass::Clock clock() {
    return [this] { return now_; };
  }

  std::string path_;
  std::atomic<long> seen_{0};
  system_clock::time_point now_ = system_clock::time_point(1'800'000'000s);
};

TEST_F(LearnedBypassTest, PerClient) {
  LearnedBypass bypass(path_, 3600s, false, clock());
  bypass.load();  // no file yet: empty
  EXPECT_EQ(bypass.size(), 0u);
  bypass.add("Pinned.Example.", ip("::ffff:10.0.0.5"), "client_rejected_certificate");
  EXPECT_TRUE(bypass.contains("pinned.example", ip("10.0.0.5")));
  EXPECT_TRUE(bypass.contains("PINNED.example.", ip("::ffff:10.0.0.5")));
  EXPECT_FALSE(bypass.contains("pinned.example", ip("10.0.0.6")));
  EXPECT_FALSE(bypass.contains("other.example", ip("10.0.0.5")));
  EXPECT_EQ(bypass.size(), 1u);
}

TEST_F(LearnedBypassTest, AllClients) {
  LearnedBypass bypass(path_, 3600s, true, clock());
  bypass.add("pinned.example", ip("10.0.0.5"), "why");
  bypass.add("pinned.example", ip("fd00::7"), "why");
  EXPECT_TRUE(bypass.contains("pinned.example", ip("192.168.1.1")));
  EXPECT_EQ(bypass.size(), 1u);
}

TEST_F(LearnedBypassTest, Expires) {
  LearnedBypass bypass(path_, 60s, false, clock());
  bypass.add("a.example", ip("10.0.0.1"), "why");
  now_ += 59s;
  bypass.add("b.example", ip("10.0.0.1"), "why");
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));
  now_ += 1s;  // a.example is exactly ttl old: gone
  EXPECT_FALSE(bypass.contains("a.example", ip("10.0.0.1")));
  EXPECT_TRUE(bypass.contains("b.example", ip("10.0.0.1")));
  EXPECT_EQ(bypass.size(), 1u);
  bypass.add("a.example", ip("10.0.0.1"), "again");  // renewed
  now_ += 59s;
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));
  EXPECT_FALSE(bypass.contains("b.example", ip("10.0.0.1")));
}

TEST_F(LearnedBypassTest, PersistsAndDropsExpiredOnLoad) {
  {
    LearnedBypass bypass(path_, 100s, false, clock());
    bypass.add("old.example", ip("10.0.0.1"), "why");
    now_ += 50s;
    bypass.add("new.example", ip("fd00::1"), "client_rejected_certificate");
  }
  std::ifstream in(path_);
  std::stringstream saved;
  saved << in.rdbuf();
  EXPECT_NE(saved.str().find("client_rejected_certificate"), std::string::npos);

  now_ += 60s;  // old.example expired (110 s), new.example has 40 s left
  LearnedBypass reloaded(path_, 100s, false, clock());
  reloaded.load();
  EXPECT_EQ(reloaded.size(), 1u);
  EXPECT_TRUE(reloaded.contains("new.example", ip("fd00::1")));
  EXPECT_FALSE(reloaded.contains("old.example", ip("10.0.0.1")));
  // Loaded in all-clients mode, the same file keys on hosts only.
  LearnedBypass all(path_, 100s, true, clock());
  all.load();
  EXPECT_TRUE(all.contains("new.example", ip("10.9.9.9")));
}

TEST_F(LearnedBypassTest, CorruptFile) {
  std::ofstream(path_) << R"({"entries": [{"host": "a", "client": "not-an-ip", "expires": 1}]})";
  LearnedBypass bypass(path_, 100s, false, clock());
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

TEST_F(LearnedBypassTest, UnwritableFile) {
  LearnedBypass bypass(testing::TempDir() + "/no/such/dir/bypass.json", 100s, false, clock());
  EXPECT_THROW(bypass.add("a.example", ip("10.0.0.1"), "why"), LearnedBypassError);
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));  // kept in memory
}

// Readers on the data path while another thread learns: no torn state (run under ASan/TSan).
TEST_F(LearnedBypassTest, ConcurrentUse) {
  LearnedBypass bypass(path_, 3600s, false);
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      while (!stop) seen_ += bypass.contains("h0.example", ip("10.0.0.1")) ? 1 : 0;
    });
  for (int i = 0; i < 50; ++i) bypass.add("h" + std::to_string(i) + ".example", ip("10.0.0.1"), "why");
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(bypass.size(), 50u);
  LearnedBypass reloaded(path_, 3600s, false);
  reloaded.load();
  EXPECT_EQ(reloaded.size(), 50u);
}

TEST_F(LearnedBypassTest, MemoryOnly) {
  LearnedBypass bypass("", 100s, false, clock());
  bypass.load();
  bypass.add("a.example", ip("10.0.0.1"), "why");
  EXPECT_TRUE(bypass.contains("a.example", ip("10.0.0.1")));
}

}  // namespace
}  // namespace tlsgate::policy

#include "gateway/log/flow_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace tlsgate::log {
namespace {

std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class FlowLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("flowlog-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FlowLogTest, WritesEveryLineWholeFromManyThreads) {
  const auto path = dir_ / "flows.jsonl";
  constexpr int threads = 4, per_thread = 2000;
  {
    FlowLog log(path.string(), threads * per_thread);
    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t)
      producers.emplace_back([&log, t] {
        for (int i = 0; i < per_thread; ++i)
          log.submit(R"({"t":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}");
      });
    for (auto& p : producers) p.join();
    log.stop();
    EXPECT_EQ(log.written(), static_cast<std::uint64_t>(threads * per_thread));
    EXPECT_EQ(log.dropped(), 0u);
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(threads * per_thread));
  for (const auto& line : lines) {
    ASSERT_EQ(line.front(), '{');
    ASSERT_EQ(line.back(), '}');
  }
}

TEST_F(FlowLogTest, FullQueueDropsAndCounts) {
  const auto path = dir_ / "flows.jsonl";
  FlowLog log(path.string(), 16);
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) accepted += log.submit("{}") ? 1 : 0;
  log.stop();
  EXPECT_EQ(log.written() + log.dropped(), 100000u);
  EXPECT_EQ(log.written(), static_cast<std::uint64_t>(accepted));
  EXPECT_EQ(read_lines(path).size(), static_cast<std::size_t>(accepted));
  EXPECT_FALSE(log.submit("{}")) << "a stopped log accepts nothing";
}

TEST_F(FlowLogTest, ReopenFollowsLogrotate) {
  const auto path = dir_ / "flows.jsonl";
  const auto rotated = dir_ / "flows.jsonl.1";
  FlowLog log(path.string(), 1000);
  log.submit(R"({"n":1})");
  // Wait for the writer, then rotate like logrotate: rename, then reopen.
  for (int i = 0; i < 500 && log.written() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::filesystem::rename(path, rotated);
  log.reopen();
  for (int i = 0; i < 500 && std::filesystem::exists(path) == false; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  log.submit(R"({"n":2})");
  log.stop();
  EXPECT_EQ(read_lines(rotated), std::vector<std::string>{R"({"n":1})"});
  EXPECT_EQ(read_lines(path), std::vector<std::string>{R"({"n":2})"});
}

TEST_F(FlowLogTest, UnopenableFileFailsAtStartup) {
  EXPECT_THROW(FlowLog((dir_ / "missing-dir" / "x.jsonl").string(), 10), std::runtime_error);
}

TEST_F(FlowLogTest, QueueIsBoundedInBytes) {
  // The writer may drain meanwhile; at most queue + one drained batch can be
  // accepted, never all 1000 lines of 10 KB into a 64 KB queue at once.
  const auto path = dir_ / "flows.jsonl";
  std::uint64_t accepted = 0;
  {
    FlowLog log(path.string(), 1'000'000, 64 * 1024);
    for (int i = 0; i < 1000; ++i) accepted += log.submit(std::string(10 * 1024, 'x')) ? 1 : 0;
    log.stop();
    EXPECT_EQ(log.written() + log.dropped(), 1000u);
    EXPECT_EQ(log.written(), accepted);
    EXPECT_GT(log.dropped(), 0u);
  }
  EXPECT_EQ(read_lines(path).size(), accepted);
}

TEST_F(FlowLogTest, ALineBiggerThanTheQueueIsDropped) {
  FlowLog log((dir_ / "flows.jsonl").string(), 100, 64 * 1024);
  EXPECT_FALSE(log.submit(std::string(64 * 1024, 'x')));
  EXPECT_TRUE(log.submit("{}"));
  log.stop();
  EXPECT_EQ(log.dropped(), 1u);
  EXPECT_EQ(log.written(), 1u);
}

TEST_F(FlowLogTest, FailedWritesAreCountedDroppedNotWritten) {
  // /dev/full: every write fails with ENOSPC, like a full disk.
  FlowLog log("/dev/full", 1000);
  for (int i = 0; i < 50; ++i) log.submit(R"({"event":"flow"})");
  log.stop();
  EXPECT_EQ(log.written(), 0u);
  EXPECT_EQ(log.dropped(), 50u);
}

}  // namespace
}  // namespace tlsgate::log

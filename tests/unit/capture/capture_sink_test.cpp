#include "gateway/capture/capture_sink.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "gateway/capture/pcap_format.hpp"

namespace tlsgate::capture {
namespace {

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("tlsgate-capture-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

std::vector<std::uint8_t> record(std::size_t payload) {
  std::vector<std::uint8_t> r;
  append_record_header(r, {}, static_cast<std::uint32_t>(payload));
  r.resize(r.size() + payload, 0x45);
  return r;
}

TEST(CaptureSink, FilesAre0600AndRotateBySizeKeepingFilesKept) {
  const auto dir = temp_dir();
  CaptureConfig config;
  config.enabled = true;
  config.directory = dir.string();
  config.rotate_bytes = 4096;
  config.files_kept = 2;
  {
    CaptureSink sink(config);
    for (int i = 0; i < 10; ++i) {
      EXPECT_TRUE(sink.submit(record(2000)));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    sink.stop();
    EXPECT_EQ(sink.written_bytes(), 10 * (2000 + pcap_record_header_bytes));
  }
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    struct stat st {};
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_LE(std::filesystem::file_size(e.path()), 4096u);
  }
  EXPECT_EQ(files, 2u);
  std::filesystem::remove_all(dir);
}

TEST(CaptureSink, FullQueueDropsAndCounts) {
  CaptureConfig config;
  config.pcap_over_ip_listen = Endpoint{*IpAddress::parse("127.0.0.1"), 0};
  config.queue_bytes = 1000;
  CaptureSink sink(config);
  EXPECT_FALSE(sink.submit(record(5000)));
  EXPECT_EQ(sink.dropped_chunks(), 1u);
  EXPECT_EQ(sink.dropped_bytes(), 5000 + pcap_record_header_bytes);
}

TEST(CaptureSink, PcapOverIpReaderGetsHeaderThenRecordsAndAStalledOneIsDropped) {
  CaptureConfig config;
  config.pcap_over_ip_listen = Endpoint{*IpAddress::parse("127.0.0.1"), 0};
  config.reader_buffer_bytes = 1024 * 1024;
  CaptureSink sink(config);
  const int reader = connect_loopback(sink.pcap_over_ip_port());
  const int stalled = connect_loopback(sink.pcap_over_ip_port());
  const int small = 1024;
  ::setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The reader reads as it goes; the stalled one never does.
  std::vector<std::uint8_t> got;
  std::uint8_t buf[65536];
  constexpr int records = 2000;  // 16 MB: more than the stalled socket's kernel buffers hold
  for (int i = 0; i < records; ++i) {
    sink.submit(record(8000));
    for (;;) {
      const ssize_t n = ::recv(reader, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) break;
      got.insert(got.end(), buf, buf + n);
    }
    if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::size_t want = pcap_global_header_bytes + records * (8000 + pcap_record_header_bytes);
  for (int i = 0; i < 400 && got.size() < want; ++i) {
    const ssize_t n = ::recv(reader, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.insert(got.end(), buf, buf + n);
    else std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(got.size(), want);
  EXPECT_EQ(std::vector<std::uint8_t>(got.begin(), got.begin() + 24), pcap_header());
  EXPECT_EQ(sink.readers_dropped(), 1u);
  ::close(reader);
  ::close(stalled);
}

}  // namespace
}  // namespace tlsgate::capture

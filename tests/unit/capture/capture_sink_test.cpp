#include "gateway/capture/capture_sink.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
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

constexpr const char* token = "0123456789abcdef-reader";

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// A reader that sends the token line first, as documented.
int connect_reader(std::uint16_t port) {
  const int fd = connect_loopback(port);
  const std::string line = std::string(token) + "\n";
  EXPECT_EQ(::send(fd, line.data(), line.size(), 0), static_cast<ssize_t>(line.size()));
  return fd;
}

CaptureConfig tcp_config() {
  CaptureConfig config;
  config.pcap_over_ip_listen = Endpoint{*IpAddress::parse("127.0.0.1"), 0};
  config.pcap_over_ip_allow_remote = true;
  config.pcap_over_ip_token = token;
  return config;
}

// Reads until EOF or `limit`, waiting at most ~2 s in all.
std::vector<std::uint8_t> read_some(int fd, std::size_t limit) {
  std::vector<std::uint8_t> got;
  std::uint8_t buf[4096];
  for (int i = 0; i < 400 && got.size() < limit; ++i) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) break;
    if (n > 0) got.insert(got.end(), buf, buf + n);
    else std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return got;
}

bool closed_by_peer(int fd) {
  std::uint8_t buf[64];
  for (int i = 0; i < 400; ++i) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN)) return true;
    if (n > 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
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
  CaptureConfig config = tcp_config();
  config.queue_bytes = 1000;
  CaptureSink sink(config);
  EXPECT_FALSE(sink.submit(record(5000)));
  EXPECT_EQ(sink.dropped_chunks(), 1u);
  EXPECT_EQ(sink.dropped_bytes(), 5000 + pcap_record_header_bytes);
}

TEST(CaptureSink, PcapOverIpReaderGetsHeaderThenRecordsAndAStalledOneIsDropped) {
  CaptureConfig config = tcp_config();
  config.reader_buffer_bytes = 1024 * 1024;
  CaptureSink sink(config);
  const int reader = connect_reader(sink.pcap_over_ip_port());
  const int stalled = connect_reader(sink.pcap_over_ip_port());
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

TEST(CaptureSink, TcpReaderWithoutTheRightTokenGetsNothing) {
  CaptureSink sink(tcp_config());
  const int wrong = connect_loopback(sink.pcap_over_ip_port());
  const std::string bad = "0123456789abcdef-wrong!\n";
  ASSERT_EQ(::send(wrong, bad.data(), bad.size(), 0), static_cast<ssize_t>(bad.size()));
  const int silent = connect_loopback(sink.pcap_over_ip_port());  // sends nothing
  const int good = connect_reader(sink.pcap_over_ip_port());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sink.submit(record(100));
  EXPECT_TRUE(closed_by_peer(wrong));
  const auto got = read_some(good, pcap_global_header_bytes + pcap_record_header_bytes + 100);
  EXPECT_EQ(got.size(), pcap_global_header_bytes + pcap_record_header_bytes + 100);
  // The silent one gets nothing while it has not sent the token.
  std::uint8_t buf[64];
  EXPECT_LT(::recv(silent, buf, sizeof buf, MSG_DONTWAIT), 0);
  EXPECT_EQ(sink.readers_refused(), 1u);
  ::close(wrong);
  ::close(silent);
  ::close(good);
}

TEST(CaptureSink, UnixSocketIs0600AndStreamsToItsOwner) {
  const auto dir = temp_dir();
  std::filesystem::create_directories(dir);
  CaptureConfig config;
  config.pcap_over_ip_socket = (dir / "pcap.sock").string();
  {
    CaptureSink sink(config);
    struct stat st {};
    ASSERT_EQ(::lstat(config.pcap_over_ip_socket->c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, config.pcap_over_ip_socket->c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sink.submit(record(10));
    EXPECT_EQ(read_some(fd, 1000).size(), pcap_global_header_bytes + pcap_record_header_bytes + 10);
    ::close(fd);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "pcap.sock"));  // removed at stop
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tlsgate::capture

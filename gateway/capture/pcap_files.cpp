#include "gateway/capture/pcap_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "gateway/capture/pcap_format.hpp"
#include "gateway/diag.hpp"

namespace tlsgate::capture {
namespace {

constexpr std::string_view prefix = "tlsgate-";
constexpr std::string_view suffix = ".pcap";

bool write_fully(int fd, std::span<const std::uint8_t> bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

PcapFiles::PcapFiles(std::string directory, RotationLimits limits)
    : directory_(std::move(directory)), limits_(limits) {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) throw std::runtime_error("pcap directory " + directory_ + ": " + ec.message());
  ::chmod(directory_.c_str(), 0700);  // best effort: the files are 0600 either way
  open_next(std::chrono::system_clock::now());
}

PcapFiles::~PcapFiles() {
  if (fd_ >= 0) ::close(fd_);
}

void PcapFiles::open_next(std::chrono::system_clock::time_point now) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> stamp{};
  std::strftime(stamp.data(), stamp.size(), "%Y%m%dT%H%M%SZ", &tm);
  std::array<char, 16> seq{};
  std::snprintf(seq.data(), seq.size(), "%06llu", static_cast<unsigned long long>(opened_ % 1000000));
  // The sequence number keeps names unique and in order within one second.
  const std::string path = directory_ + "/" + std::string(prefix) + stamp.data() + "-" + seq.data() + std::string(suffix);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (opened_ == 0) throw std::runtime_error("pcap file " + path + ": " + std::strerror(errno));
    diag::warning("capture: cannot open %s: %s (keeping %s)", path.c_str(), std::strerror(errno), path_.c_str());
    opened_at_ = now;  // retry at the next rotation, not on every write
    return;
  }
  ::fchmod(fd, 0600);  // whatever the umask or an existing file said
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  opened_at_ = now;
  ++opened_;
  write_failed_ = false;
  const auto header = pcap_header();
  size_ = header.size();
  if (!write_fully(fd_, header)) write_failed_ = true;
  prune();
}

void PcapFiles::prune() const {
  if (limits_.files_kept == 0) return;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(suffix)) names.push_back(name);
  }
  if (names.size() <= limits_.files_kept) return;
  std::sort(names.begin(), names.end());  // names sort by time, then sequence
  for (std::size_t i = 0; i + limits_.files_kept < names.size(); ++i)
    std::filesystem::remove(directory_ + "/" + names[i], ec);
}

void PcapFiles::write(std::span<const std::uint8_t> records, std::chrono::system_clock::time_point now) {
  if (records.empty()) return;
  const bool too_big = size_ + records.size() > limits_.rotate_bytes && size_ > pcap_global_header_bytes;
  const bool too_old = limits_.rotate_interval.count() > 0 && now - opened_at_ >= limits_.rotate_interval;
  if (too_big || too_old) open_next(now);
  if (!write_fully(fd_, records)) {
    if (!write_failed_)
      diag::error("capture: write to %s failed: %s", path_.c_str(), std::strerror(errno));
    write_failed_ = true;
    return;
  }
  size_ += records.size();
}

}  // namespace tlsgate::capture

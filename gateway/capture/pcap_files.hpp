#pragma once
// Rotated pcap files in one directory: tlsgate-<UTC time>-<n>.pcap, created
// 0600 (they hold decrypted traffic, passwords and cookies included). A new
// file starts when the current one would pass `rotate_bytes` or is older than
// `rotate_interval`; beyond `files_kept` the oldest are deleted. Only the
// capture writer thread calls it.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace tlsgate::capture {

struct RotationLimits {
  std::uint64_t rotate_bytes = 100ull << 20;
  std::chrono::seconds rotate_interval{3600};  // 0: by size only
  std::size_t files_kept = 24;                 // 0: keep every file
};

class PcapFiles {
 public:
  // Throws std::runtime_error if the directory cannot be created or written.
  PcapFiles(std::string directory, RotationLimits limits);
  ~PcapFiles();
  PcapFiles(const PcapFiles&) = delete;
  PcapFiles& operator=(const PcapFiles&) = delete;

  // Appends whole pcap records (never split across files). Write errors are
  // reported (diag::error, once per file) and the bytes are lost.
  void write(std::span<const std::uint8_t> records, std::chrono::system_clock::time_point now);
  const std::string& current_path() const { return path_; }
  std::uint64_t files_opened() const { return opened_; }

 private:
  void open_next(std::chrono::system_clock::time_point now);
  void prune() const;

  std::string directory_;
  RotationLimits limits_;
  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;
  std::chrono::system_clock::time_point opened_at_;
  std::uint64_t opened_ = 0;
  bool write_failed_ = false;
};

}  // namespace tlsgate::capture

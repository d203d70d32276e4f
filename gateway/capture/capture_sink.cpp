#include "gateway/capture/capture_sink.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "gateway/capture/pcap_files.hpp"
#include "gateway/capture/pcap_over_ip.hpp"
#include "gateway/diag.hpp"

namespace tlsgate::capture {
namespace {

constexpr auto drop_report_interval = std::chrono::seconds(10);
constexpr int idle_poll_ms = 1000;

}  // namespace

CaptureSink::CaptureSink(const CaptureConfig& config) : config_(config) {
  if (config_.enabled)
    files_ = std::make_unique<PcapFiles>(
        config_.directory, RotationLimits{config_.rotate_bytes, config_.rotate_interval, config_.files_kept});
  if (config_.pcap_over_ip_socket)
    over_ip_.push_back(std::make_unique<PcapOverIp>(*config_.pcap_over_ip_socket, config_.reader_buffer_bytes));
  if (config_.pcap_over_ip_listen) {
    // config.cpp refuses a TCP listener without a token.
    if (!config_.pcap_over_ip_token) throw std::runtime_error("pcap_over_ip_listen without pcap_over_ip_token");
    over_ip_.push_back(std::make_unique<PcapOverIp>(*config_.pcap_over_ip_listen, *config_.pcap_over_ip_token,
                                                    config_.reader_buffer_bytes));
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("capture: eventfd: ") + std::strerror(errno));
  writer_ = std::thread([this] { run(); });
}

CaptureSink::~CaptureSink() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool CaptureSink::submit(std::vector<std::uint8_t>&& records) noexcept {
  const std::size_t n = records.size();
  if (n == 0) return true;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queued_bytes_ + n > config_.queue_bytes) {
      dropped_chunks_.fetch_add(1, std::memory_order_relaxed);
      dropped_bytes_.fetch_add(n, std::memory_order_relaxed);
      return false;
    }
    try {
      queue_.push_back(std::move(records));
    } catch (...) {
      dropped_chunks_.fetch_add(1, std::memory_order_relaxed);
      dropped_bytes_.fetch_add(n, std::memory_order_relaxed);
      return false;
    }
    queued_bytes_ += n;
    if (queue_.size() > 1) return true;  // the writer was woken for the first one
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(wake_fd_, &one, sizeof one);
  return true;
}

void CaptureSink::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(wake_fd_, &one, sizeof one);
  if (writer_.joinable()) writer_.join();
}

std::uint64_t CaptureSink::readers_dropped() const {
  std::uint64_t n = 0;
  for (const auto& o : over_ip_) n += o->readers_dropped();
  return n;
}

std::uint64_t CaptureSink::readers_refused() const {
  std::uint64_t n = 0;
  for (const auto& o : over_ip_) n += o->readers_refused();
  return n;
}

std::uint16_t CaptureSink::pcap_over_ip_port() const {
  for (const auto& o : over_ip_)
    if (o->port() != 0) return o->port();
  return 0;
}

void CaptureSink::write_batch(std::deque<std::vector<std::uint8_t>>& batch) {
  const auto now = std::chrono::system_clock::now();
  for (const auto& chunk : batch) {
    if (files_) files_->write(chunk, now);
    for (const auto& o : over_ip_) o->broadcast(chunk);
    written_bytes_.fetch_add(chunk.size(), std::memory_order_relaxed);
  }
  batch.clear();
}

void CaptureSink::report_drops() {
  const std::uint64_t dropped = dropped_chunks();
  const auto now = std::chrono::steady_clock::now();
  if (dropped == reported_drops_ || now - last_report_ < drop_report_interval) return;
  diag::warning("capture: writer behind: %llu chunks (%llu bytes) dropped so far",
                static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(dropped_bytes()));
  reported_drops_ = dropped;
  last_report_ = now;
}

void CaptureSink::run() {
  std::deque<std::vector<std::uint8_t>> batch;
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    std::vector<std::size_t> firsts;
    for (const auto& o : over_ip_) {
      firsts.push_back(fds.size());
      o->add_pollfds(fds);
    }
    if (::poll(fds.data(), fds.size(), idle_poll_ms) < 0 && errno != EINTR) fds.assign(fds.size(), pollfd{});
    if (fds[0].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &count, sizeof count);
    }
    for (std::size_t i = 0; i < over_ip_.size(); ++i) over_ip_[i]->on_poll(fds, firsts[i]);
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      batch.swap(queue_);
      queued_bytes_ = 0;
      stopping = stopping_;
    }
    write_batch(batch);
    report_drops();
    if (stopping) {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
    }
  }
}

}  // namespace tlsgate::capture

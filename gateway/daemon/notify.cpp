#include "gateway/daemon/notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <string>

namespace tlsgate::notify {
namespace {

std::uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

// unset_environment = 0: later calls (and reloads) still find NOTIFY_SOCKET.
void ready() { sd_notify(0, "READY=1\nSTATUS=running"); }

void reloading() {
  // systemd >= 253 matches RELOADING=1 to the reload by this timestamp (Type=notify-reload).
  const std::string msg = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec());
  sd_notify(0, msg.c_str());
}

void stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping: draining flows"); }

void watchdog() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace tlsgate::notify

#pragma once
// The systemd service-manager protocol (Type=notify, sd_notify(3)) through
// libsystemd. Every call does nothing when NOTIFY_SOCKET is unset (not run by
// systemd), so the daemon behaves the same by hand.
#include <chrono>
#include <optional>

namespace tlsgate::notify {

void ready();      // READY=1: listeners (and the QUIC guard) are up
void reloading();  // RELOADING=1 with MONOTONIC_USEC, before a SIGHUP reload
void stopping();   // STOPPING=1: draining flows before exit
void watchdog();   // WATCHDOG=1: the workers answered

// Half of WATCHDOG_USEC when the watchdog is on for this process, else nullopt.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace tlsgate::notify

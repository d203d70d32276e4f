#pragma once
// The process file limit, and how many flows fit in it. A flow holds up to six
// descriptors: its two sockets and, tunnelled, one splice pipe per direction
// (a pipe is two descriptors). max_flows is lowered at start so that a full
// gateway refuses new connections (max_flows) before any accept, socket or
// pipe fails with EMFILE.
#include <cstddef>
#include <optional>
#include <string>

#include "gateway/config.hpp"

namespace tlsgate {

// Client socket + upstream socket + two pipes (read and write ends each).
constexpr std::size_t descriptors_per_flow = 6;
// Descriptors that are not a flow's: stdio, the flow log, key log, pcap file and
// readers, control socket, metrics endpoint and its scrapers, NFQUEUE, the CA and
// policy files read at reload, the descriptor a refused connection holds until it
// is closed; per worker its event loop (epoll, eventfd, timerfd) and its listeners.
constexpr std::size_t fixed_descriptor_reserve = 128;
constexpr std::size_t descriptors_per_worker = 4;

// Raises RLIMIT_NOFILE's soft limit to its hard limit. Returns one line for
// stderr saying what it did (or why it could not).
std::string raise_file_limit();

// The soft RLIMIT_NOFILE; nullopt when unlimited or unreadable.
std::optional<std::size_t> file_limit();
// The hard RLIMIT_NOFILE (what raise_file_limit reaches); nullopt when unlimited or unreadable.
std::optional<std::size_t> hard_file_limit();

// Descriptors kept out of the flows' budget for `config` with `workers` threads.
std::size_t descriptor_reserve(const Config& config, unsigned workers);

struct FlowBudget {
  std::size_t max_flows = 0;  // what to use (0: no limit)
  bool lowered = false;       // smaller than configured
  std::string note;           // one line saying so, for stderr and `config check`
};

// Fits `configured` (0: no limit) into `limit` descriptors (nullopt: unlimited) less
// `reserve`, at descriptors_per_flow each; at least 1. Pure.
FlowBudget fit_max_flows(std::size_t configured, std::optional<std::size_t> limit, std::size_t reserve);

}  // namespace tlsgate

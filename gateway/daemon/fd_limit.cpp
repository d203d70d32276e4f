#include "gateway/daemon/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tlsgate {
namespace {

std::optional<std::size_t> limit_value(rlim_t v) {
  if (v == RLIM_INFINITY) return std::nullopt;
  return static_cast<std::size_t>(v);
}

}  // namespace

std::string raise_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return std::string("cannot read the file limit: ") + std::strerror(errno);
  const auto show = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
  if (lim.rlim_cur == lim.rlim_max) return "file limit " + show(lim.rlim_cur) + " (already the hard limit)";
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
    return "cannot raise the file limit from " + show(before) + ": " + std::strerror(errno);
  return "file limit raised from " + show(before) + " to " + show(lim.rlim_max);
}

std::optional<std::size_t> file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return std::nullopt;
  return limit_value(lim.rlim_cur);
}

std::optional<std::size_t> hard_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return std::nullopt;
  return limit_value(lim.rlim_max);
}

std::size_t descriptor_reserve(const Config& config, unsigned workers) {
  return fixed_descriptor_reserve + workers * (descriptors_per_worker + config.listeners.size()) +
         config.metrics_max_connections;
}

FlowBudget fit_max_flows(std::size_t configured, std::optional<std::size_t> limit, std::size_t reserve) {
  FlowBudget b{configured, false, {}};
  const std::string wanted = configured == 0 ? std::string("max_flows 0 (no limit)") : "max_flows " + std::to_string(configured);
  if (!limit) {
    b.note = wanted + ": the file limit is unlimited";
    return b;
  }
  const std::size_t room = *limit > reserve ? (*limit - reserve) / descriptors_per_flow : 0;
  const std::size_t fits = std::max<std::size_t>(room, 1);
  const std::string why = "file limit " + std::to_string(*limit) + ", " + std::to_string(descriptors_per_flow) +
                          " descriptors per flow, " + std::to_string(reserve) + " reserved";
  if (configured != 0 && configured <= fits) {
    b.note = wanted + " fits the " + why;
    return b;
  }
  b.max_flows = fits;
  b.lowered = true;
  b.note = wanted + " lowered to " + std::to_string(fits) + " to fit the " + why +
           " (raise LimitNOFILE / ulimit -n for more)";
  return b;
}

}  // namespace tlsgate

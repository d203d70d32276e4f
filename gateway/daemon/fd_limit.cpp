#include "gateway/daemon/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace tlsgate {

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

}  // namespace tlsgate

#pragma once
// The process file limit: every flow holds up to two sockets and, tunnelled,
// two splice pipes, so the soft limit a shell hands down (often 1,024) is far
// too low for a gateway.
#include <string>

namespace tlsgate {

// Raises RLIMIT_NOFILE's soft limit to its hard limit. Returns one line for
// stderr saying what it did (or why it could not).
std::string raise_file_limit();

}  // namespace tlsgate

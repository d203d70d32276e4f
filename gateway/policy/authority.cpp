#include "gateway/policy/authority.hpp"

#include <algorithm>

#include "gateway/policy/host_pattern.hpp"

namespace tlsgate::policy {

std::optional<std::string> host_of_authority(std::string_view authority) {
  // userinfo is not allowed in Host, but a client may send it: the host follows the last '@'.
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    authority = authority.substr(1, close - 1);
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    if (std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      authority = authority.substr(0, colon);
  }
  if (authority.empty()) return std::nullopt;
  return normalize_host(authority);
}

}  // namespace tlsgate::policy

#include "gateway/icap/service_uri.hpp"

#include <charconv>

namespace tlsgate::icap {

std::string ServiceUri::host_header() const {
  const std::string host = server.ip.is_v4() ? server.ip.to_string() : "[" + server.ip.to_string() + "]";
  return host + ":" + std::to_string(server.port);
}

std::string ServiceUri::uri() const { return "icap://" + host_header() + path; }

std::optional<ServiceUri> parse_service_uri(std::string_view text, std::string& error) {
  constexpr std::string_view scheme = "icap://";
  if (!text.starts_with(scheme)) {
    error = "must start with icap://";
    return std::nullopt;
  }
  text.remove_prefix(scheme.size());
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash + 1 == text.size()) {
    error = "needs a service path after the address (icap://127.0.0.1:1344/avscan)";
    return std::nullopt;
  }
  ServiceUri out;
  out.path = std::string(text.substr(slash));
  for (char c : out.path) {
    if (c <= 0x20 || c >= 0x7f) {
      error = "the service path may hold no spaces or control characters";
      return std::nullopt;
    }
  }
  std::string_view authority = text.substr(0, slash);
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "an IPv6 address without its closing ]";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      error = "unexpected text after the IPv6 address";
      return std::nullopt;
    }
    if (!rest.empty()) port = rest.substr(1);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  const auto ip = IpAddress::parse(host);
  if (!ip || (authority.starts_with('[') == ip->is_v4())) {
    error = "the host must be an IP address (IPv6 in brackets): the gateway resolves no names for scanning";
    return std::nullopt;
  }
  out.server.ip = *ip;
  out.server.port = default_icap_port;
  if (!port.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      error = "the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    out.server.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

}  // namespace tlsgate::icap

#pragma once
// An ICAP service address, `icap://127.0.0.1:1344/avscan` (RFC 3507 4.2).
#include <optional>
#include <string>
#include <string_view>

#include "gateway/ip_address.hpp"

namespace tlsgate::icap {

constexpr std::uint16_t default_icap_port = 1344;

struct ServiceUri {
  Endpoint server;   // an IP literal: the gateway resolves no names for its data path
  std::string path;  // from the first '/', query included: "/avscan", "/virus_scan?allow204=on"

  // "icap://127.0.0.1:1344/avscan" (IPv6 in brackets), as request lines and Host need it.
  std::string uri() const;
  std::string host_header() const;  // "127.0.0.1:1344"
};

// Parses "icap://HOST[:PORT]/PATH" with HOST an IPv4 literal or a bracketed
// IPv6 one. On failure returns nullopt and says why in `error`.
std::optional<ServiceUri> parse_service_uri(std::string_view text, std::string& error);

}  // namespace tlsgate::icap

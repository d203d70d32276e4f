#pragma once
// Community ID v1 flow hash (corelight/community-id-spec), so flow lines join
// with Zeek and Suricata logs.
#include <cstdint>
#include <string>

#include "gateway/ip_address.hpp"

namespace tlsgate::log {

constexpr std::uint8_t ip_proto_tcp = 6;
constexpr std::uint8_t ip_proto_udp = 17;

// "1:<base64 sha1>". Direction-independent: both orders give the same ID.
// Both endpoints must be of one family (IPv4-mapped addresses are unmapped).
std::string community_id(const Endpoint& a, const Endpoint& b, std::uint8_t ip_proto,
                         std::uint16_t seed = 0);

}  // namespace tlsgate::log

#pragma once
// The host an HTTP request names (Host / :authority), as policy compares hosts.
#include <optional>
#include <string>
#include <string_view>

namespace tlsgate::policy {

// The host of an authority ("Name.Example:8443", "[2001:db8::1]:80"),
// normalised like a host pattern; nullopt when nothing is left.
std::optional<std::string> host_of_authority(std::string_view authority);

}  // namespace tlsgate::policy

#pragma once
// The pages the gateway answers a request with instead of forwarding it: a
// block page (403) naming the host, the rule and the flow, and a short page
// for a misdirected request (421). HTML-escaped; small enough for any h2 window.
#include <cstdint>
#include <string>
#include <string_view>

namespace tlsgate {

std::string block_page(std::string_view host, std::string_view rule, std::uint64_t flow_id, std::string_view why);
std::string misdirected_page(std::string_view host);

}  // namespace tlsgate

#pragma once
// What the response scanners share: one RESPMOD call, and where a response's outcome goes (the
// scans metric and the `scan` field of its `http` line, whose infected result is also the EVE
// alert).
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/asio.hpp"
#include "gateway/flow/relay/scan_disposition.hpp"
#include "gateway/flow/relay/server_scanner.hpp"
#include "gateway/icap/icap_client.hpp"
#include "gateway/log/events/http_event.hpp"

namespace tlsgate {

// RESPMOD of one response: its request's head (request line and Host), its head, its payload.
awaitable<icap::ScanResult> scan_response(std::shared_ptr<icap::IcapClient> client, std::string request_head,
                                          std::string response_head, std::string body);

// The `http` line's scan object of one outcome (`ms`: its ICAP exchange).
log::HttpEventScan scan_event(const icap::IcapClient& client, const ScanDisposition& disposition, std::uint64_t ms);

// Counts a response's outcome (tlsgate_scans_total, method respmod) and gives its scan to the
// `http` line. `stream_id`: the h2 stream whose exchange gets the scan; 0 for HTTP/1 (in response order).
void report_scan(const ScanContext& context, const icap::IcapClient& client, const ScanDisposition& disposition,
                 std::uint64_t ms, std::uint32_t stream_id = 0);

}  // namespace tlsgate

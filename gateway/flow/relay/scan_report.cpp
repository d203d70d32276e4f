#include "gateway/flow/relay/scan_report.hpp"

#include "gateway/flow/http_tap.hpp"
#include "gateway/metrics/metrics.hpp"

namespace tlsgate {

awaitable<icap::ScanResult> scan_response(std::shared_ptr<icap::IcapClient> client, std::string request_head,
                                          std::string response_head, std::string body) {
  icap::ScanRequest request;
  request.kind = icap::ScanKind::respmod;
  request.request_head = std::move(request_head);
  request.response_head = std::move(response_head);
  request.body = std::move(body);
  co_return co_await client->scan(std::move(request));
}

log::HttpEventScan scan_event(const icap::IcapClient& client, const ScanDisposition& d, std::uint64_t ms) {
  log::HttpEventScan scan;
  scan.service = client.service().uri();
  scan.result = d.result;
  scan.threat = d.threat;
  scan.ms = ms;
  scan.detail = d.detail;
  scan.on_error = d.on_error;
  return scan;
}

void report_scan(const ScanContext& context, const icap::IcapClient& client, const ScanDisposition& d,
                 std::uint64_t ms, std::uint32_t stream_id) {
  if (context.metrics) context.metrics->scan("respmod", d.result, d.deliver);
  if (context.http) context.http->add_scan(scan_event(client, d, ms), stream_id);
}

}  // namespace tlsgate

#include "gateway/flow/relay/scan_disposition.hpp"

#include "gateway/http/http1_head.hpp"

namespace tlsgate {

std::string icap_page(const icap::Verdict& verdict) {
  if (verdict.replacement_head.empty()) return {};
  http::h1::HeadScanner scanner;
  const auto size = scanner.scan(verdict.replacement_head, 64 * 1024, 256);
  if (!size.is_complete()) return {};
  const auto head = http::h1::parse_response_head(std::string_view(verdict.replacement_head).substr(0, size.value),
                                                  scanner.start());
  if (!head.is_complete() || head.value.response.status < 200 || head.value.response.status > 599) return {};
  return "HTTP/1.1 " + std::to_string(head.value.response.status) +
         " Blocked\r\nContent-Type: text/html\r\nCache-Control: no-store\r\nContent-Length: " +
         std::to_string(verdict.replacement_body.size()) + "\r\nConnection: close\r\n\r\n" + verdict.replacement_body;
}

ScanDisposition without_verdict(std::string_view why, icap::ScanConfig::OnError on_error) {
  ScanDisposition d;
  d.deliver = on_error == icap::ScanConfig::OnError::allow;
  d.result = "error";
  d.detail = why;
  d.on_error = to_string(on_error);
  return d;
}

ScanDisposition disposition_of(const icap::Verdict& verdict, icap::ScanConfig::OnError on_error) {
  switch (verdict.outcome) {
    case icap::ScanOutcome::clean: {
      ScanDisposition d;
      d.deliver = true;
      d.result = "clean";
      return d;
    }
    case icap::ScanOutcome::infected: {
      ScanDisposition d;
      d.result = "infected";
      d.threat = verdict.threat;
      d.reply = icap_page(verdict);
      return d;
    }
    case icap::ScanOutcome::error: break;
  }
  return without_verdict(verdict.detail, on_error);
}

}  // namespace tlsgate

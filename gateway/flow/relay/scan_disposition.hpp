#pragma once
// What the gateway does with one response, given its scan: deliver it or withhold it (with the
// ICAP server's page, or tlsgate's block page), and what its `http` line and the scans metric
// say. Pure.
#include <string>
#include <string_view>

#include "gateway/icap/scan_config.hpp"
#include "gateway/icap/scan_verdict.hpp"

namespace tlsgate {

struct ScanDisposition {
  bool deliver = false;  // the response goes to the client as the server sent it
  // Withheld: the client's reply; empty: tlsgate's block page (the caller has host and rule).
  std::string reply;
  std::string result;    // clean, infected, error, skipped
  std::string threat;    // infected
  std::string detail;    // error, skipped: why
  std::string on_error;  // error: the rule's on_error, what was done ("allow", "block")
};

// A verdict from the ICAP service: clean delivers; infected withholds (the server's page when
// it sent one); error follows on_error.
ScanDisposition disposition_of(const icap::Verdict& verdict, icap::ScanConfig::OnError on_error);
// No verdict could be had (past max_bytes, unframable, cut short): `why`, and on_error.
ScanDisposition without_verdict(std::string_view why, icap::ScanConfig::OnError on_error);

// The ICAP server's replacement as an HTTP/1.1 response that closes the connection: its status,
// its body as text/html, framed by Content-Length (its own framing described the ICAP body).
// Empty when it sent none, or a head that does not parse, or a status outside 200..599.
std::string icap_page(const icap::Verdict& verdict);

}  // namespace tlsgate

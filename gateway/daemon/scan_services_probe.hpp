#pragma once
// At start and after each policy reload, every ICAP service the policy's rules scan with is
// asked for its OPTIONS once, from the control thread, so the operator sees on stderr at once
// whether scanning works: a service that does not answer, or does not offer what its rules
// need (RESPMOD for downloads, REQMOD for uploads), is named with those rules, whose scans
// follow their `on_error` until it does. The workers' own clients fetch OPTIONS again at
// their first scan; this probe changes nothing for them.
#include "gateway/asio.hpp"
#include "gateway/config.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate {

// Returns at once; each service's answer is reported when it comes (bounded by icap.scan_timeout_ms).
void probe_scan_services(asio::io_context& control, const policy::Policy& policy, const Config& config);

}  // namespace tlsgate

#pragma once
// An ICAP server's final answer to REQMOD / RESPMOD turned into a verdict.
// Pure.
//
// 204: clean. 200 naming a threat in X-Infection-Found (`Threat=NAME;`),
// X-Violations-Found (count, then filename, threat, id, disposition per
// violation, one per line) or X-Virus-ID: infected, with the server's
// replacement message (its block page) kept. Any other answer is an error,
// a 200 that changed the message without naming a threat included: the
// gateway does not deliver content rewritten for a reason it cannot log.
#include <string>
#include <string_view>

#include "gateway/icap/icap_response.hpp"

namespace tlsgate::icap {

enum class ScanOutcome { clean, infected, error };
std::string_view to_string(ScanOutcome outcome);  // "clean", "infected", "error"

struct Verdict {
  ScanOutcome outcome = ScanOutcome::error;
  std::string threat;            // infected: the name the server gave
  std::string detail;            // error: what went wrong, one line for the log
  std::string replacement_head;  // infected: the server's HTTP response head, if it sent one
  std::string replacement_body;  // and its body
};

Verdict verdict_from(const IcapResponse& response);

// The threat name of one header's value; "" when it names none.
std::string threat_from_infection_found(std::string_view value);
std::string threat_from_violations_found(std::string_view value);

}  // namespace tlsgate::icap

#include "gateway/icap/scan_verdict.hpp"

#include "gateway/icap/text.hpp"

namespace tlsgate::icap {

std::string_view to_string(ScanOutcome outcome) {
  switch (outcome) {
    case ScanOutcome::clean: return "clean";
    case ScanOutcome::infected: return "infected";
    case ScanOutcome::error: return "error";
  }
  return "error";
}

std::string threat_from_infection_found(std::string_view value) {
  // "Type=0; Resolution=2; Threat=Eicar-Test-Signature;" (draft-stecher-icap-subid).
  for (const auto& field : split_list(value, ';')) {
    const auto eq = field.find('=');
    if (eq != std::string::npos && iequals(trim(std::string_view(field).substr(0, eq)), "Threat")) {
      return std::string(trim(std::string_view(field).substr(eq + 1)));
    }
  }
  return {};
}

std::string threat_from_violations_found(std::string_view value) {
  // Lines: the count, then four per violation: filename, threat, id, disposition.
  const auto lines = split_list(value, '\n');
  return lines.size() >= 3 ? lines[2] : std::string();
}

Verdict verdict_from(const IcapResponse& response) {
  Verdict out;
  if (response.status == 204) {
    out.outcome = ScanOutcome::clean;
    return out;
  }
  if (response.status != 200) {
    out.detail = "the ICAP server answered " + std::to_string(response.status) +
                 (response.reason.empty() ? "" : " " + response.reason);
    return out;
  }
  std::string threat;
  if (const auto* v = response.header("X-Infection-Found")) threat = threat_from_infection_found(*v);
  if (const auto* v = response.header("X-Violations-Found"); v && threat.empty())
    threat = threat_from_violations_found(*v);
  if (const auto* v = response.header("X-Virus-ID"); v && threat.empty()) threat = *v;
  if (threat.empty()) {
    out.detail = "the ICAP server changed the message without naming a threat";
    return out;
  }
  out.outcome = ScanOutcome::infected;
  out.threat = std::move(threat);
  out.replacement_head = response.response_head;
  out.replacement_body = response.body;
  return out;
}

}  // namespace tlsgate::icap

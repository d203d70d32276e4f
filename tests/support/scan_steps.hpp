#pragma once
// Helpers for the scan framers' tests (http1_scan_step.hpp): steps compared across split points.
#include <string>
#include <vector>

#include "gateway/http/http1_scan_step.hpp"

namespace tlsgate::http::h1::test {

// Steps with adjacent forwards joined (and empty ones dropped), so different splits compare equal.
inline std::vector<ScanStep> joined(const std::vector<ScanStep>& steps) {
  std::vector<ScanStep> out;
  for (const auto& s : steps) {
    if (s.kind == ScanStepKind::forward && !out.empty() && out.back().kind == ScanStepKind::forward) {
      out.back().bytes += s.bytes;
    } else if (s.kind != ScanStepKind::forward || !s.bytes.empty()) {
      out.push_back(s);
    }
  }
  return out;
}

// "forward,no_body,skipped,scan,overflow": the steps' kinds (no_body: skipped for having none).
inline std::string kinds(const std::vector<ScanStep>& steps) {
  std::string out;
  for (const auto& s : steps) {
    if (!out.empty()) out += ",";
    switch (s.kind) {
      case ScanStepKind::forward: out += "forward"; break;
      case ScanStepKind::skipped: out += s.no_body ? "no_body" : "skipped"; break;
      case ScanStepKind::scan: out += "scan"; break;
      case ScanStepKind::overflow: out += "overflow"; break;
    }
  }
  return out;
}

// Settings for the tests: image/* is not scanned.
inline ScanFramerSettings scan_settings(std::size_t max_body_bytes = 1024, bool pass_on_overflow = false) {
  ScanFramerSettings s;
  s.max_body_bytes = max_body_bytes;
  s.pass_on_overflow = pass_on_overflow;
  s.scans_content_type = [](std::string_view type) { return !type.starts_with("image/"); };
  return s;
}

}  // namespace tlsgate::http::h1::test

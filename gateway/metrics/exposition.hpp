#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): a snapshot
// of metric families -> text, and text -> samples (for `tlsgate status`).
// Pure: no I/O, no globals.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tlsgate::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string name;  // the family name (no suffix: only counters and gauges are rendered)
  Labels labels;
  double value = 0;
};

struct Family {
  std::string name;
  std::string help;
  std::string type;  // "counter" or "gauge"
  std::vector<Sample> samples;  // name is taken from the family
};

// One `# HELP`, one `# TYPE` and one line per sample for each family, in the
// given order; label values escaped (backslash, quote, newline). A family
// without samples still gets its HELP and TYPE lines.
std::string render(const std::vector<Family>& families);

// Parses sample lines (comments skipped); lines that do not parse are ignored.
std::vector<Sample> parse(std::string_view text);

}  // namespace tlsgate::metrics

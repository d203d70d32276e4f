#include "gateway/metrics/status_text.hpp"

#include <cmath>
#include <cstdio>
#include <map>

namespace tlsgate::metrics {
namespace {

struct Line {
  const char* metric;
  const char* title;
  bool bytes;
  bool always = false;  // print 0 when the scrape has no sample yet
};

// In reading order; every metric of docs/metrics.md a person cares about.
constexpr Line lines[] = {
    {"tlsgate_active_flows", "active flows", false},
    {"tlsgate_flows_total", "flows ended", false, true},
    {"tlsgate_flows_by_proto_total", "flows by protocol", false},
    {"tlsgate_flow_bytes_total", "bytes relayed", true, true},
    {"tlsgate_handshake_failures_total", "handshake failures", false},
    {"tlsgate_forged_cert_cache_hits_total", "forged certs from cache", false},
    {"tlsgate_forged_cert_cache_misses_total", "forged certs signed", false},
    {"tlsgate_upstream_resumptions_total", "upstream resumptions", false},
    {"tlsgate_learned_bypass_entries", "learned bypass entries", false},
    {"tlsgate_log_lines_written_total", "log lines written", false},
    {"tlsgate_log_lines_dropped_total", "log lines dropped", false},
    {"tlsgate_quic_verdicts_total", "QUIC verdicts", false},
    {"tlsgate_policy_reloads_total", "policy reloads", false},
};

std::string amount(double v, bool bytes) {
  char buf[64];
  if (!bytes || v < 1024) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    int u = -1;
    while (v >= 1024 && u < 3) {
      v /= 1024;
      ++u;
    }
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  }
  return buf;
}

std::string label_text(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : " ") + v;
  return out.empty() ? "-" : out;
}

}  // namespace

std::string status_text(const std::vector<Sample>& samples) {
  std::map<std::string, std::vector<const Sample*>> by_name;
  for (const auto& s : samples) by_name[s.name].push_back(&s);
  std::string out;
  auto first = [&](const char* name) -> const Sample* {
    const auto it = by_name.find(name);
    return it == by_name.end() || it->second.empty() ? nullptr : it->second.front();
  };
  if (const auto* info = first("tlsgate_build_info")) {
    for (const auto& [k, v] : info->labels)
      if (k == "version") out += "tlsgate " + v + "\n";
  }
  if (const auto* up = first("tlsgate_uptime_seconds"))
    out += "uptime: " + amount(std::floor(up->value), false) + " s\n";
  for (const auto& line : lines) {
    const auto it = by_name.find(line.metric);
    if (it == by_name.end()) {
      if (line.always) out += std::string(line.title) + ": 0\n";
      continue;
    }
    double total = 0;
    for (const auto* s : it->second) total += s->value;
    out += std::string(line.title) + ": " + amount(total, line.bytes) + "\n";
    const bool breakdown = it->second.size() > 1 || (it->second.size() == 1 && !it->second.front()->labels.empty());
    if (!breakdown) continue;
    for (const auto* s : it->second)
      if (s->value != 0 || it->second.size() <= 8) out += "    " + label_text(s->labels) + ": " + amount(s->value, line.bytes) + "\n";
  }
  if (const auto* workers = first("tlsgate_worker_active_flows")) {
    (void)workers;
    out += "active flows per worker:";
    for (const auto* s : by_name["tlsgate_worker_active_flows"]) out += " " + amount(s->value, false);
    out += "\n";
  }
  return out;
}

}  // namespace tlsgate::metrics

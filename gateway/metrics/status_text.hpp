#pragma once
// `tlsgate status` for a person: the samples of one /metrics scrape as a short
// report (totals with their breakdown by label). Pure.
#include <string>
#include <vector>

#include "gateway/metrics/exposition.hpp"

namespace tlsgate::metrics {

std::string status_text(const std::vector<Sample>& samples);

}  // namespace tlsgate::metrics

#include "gateway/policy/neighbour_table.hpp"

#include <algorithm>

namespace tlsgate::policy {

NeighbourTable::NeighbourTable(std::vector<std::pair<IpAddress, MacAddress>> entries) : entries_(std::move(entries)) {
  for (auto& e : entries_) e.first = e.first.unmapped();
  std::stable_sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  entries_.erase(std::unique(entries_.begin(), entries_.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 entries_.end());
}

std::optional<MacAddress> NeighbourTable::find(const IpAddress& ip) const {
  const IpAddress key = ip.unmapped();
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                                   [](const auto& e, const IpAddress& k) { return e.first < k; });
  if (it == entries_.end() || it->first != key) return std::nullopt;
  return it->second;
}

}  // namespace tlsgate::policy

#pragma once
// Small text helpers of the ICAP room's header handling (ASCII only, as the
// protocol's tokens are).
#include <string>
#include <string_view>
#include <vector>

namespace tlsgate::icap {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// "a, b ,c" -> {"a", "b", "c"}; empty items are dropped.
inline std::vector<std::string> split_list(std::string_view s, char separator = ',') {
  std::vector<std::string> items;
  while (!s.empty()) {
    const auto at = s.find(separator);
    const auto item = trim(s.substr(0, at));
    if (!item.empty()) items.emplace_back(item);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return items;
}

}  // namespace tlsgate::icap

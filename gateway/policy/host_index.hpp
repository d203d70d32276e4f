#pragma once
// Rule numbers by host pattern: one hash map for exact names and one for
// wildcard suffixes, so a lookup costs one probe per label of the queried name.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tlsgate::policy {

struct HostPattern;

class HostIndex {
 public:
  // Patterns of one rule must be added with ascending rule numbers across calls,
  // so that each list stays sorted. Kind::never patterns are not indexed.
  void add(const HostPattern& pattern, std::uint32_t rule);
  // Calls `visit(std::span<const std::uint32_t> rules)` for every list of rule numbers (ascending) whose pattern
  // matches the normalized `name`; a wildcard in `name` ("*.example.com", as a
  // certificate may carry) matches wildcard patterns covering it.
  template <class Visit>
  void for_each_match(std::string_view name, Visit&& visit) const {
    if (const auto it = exact_.find(name); it != exact_.end()) visit(std::span<const std::uint32_t>(it->second));
    // Each proper suffix after a non-empty first label: a.b.example.com -> b.example.com, example.com, com.
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
      if (dot == 0) continue;
      if (const auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end())
        visit(std::span<const std::uint32_t>(it->second));
    }
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, std::vector<std::uint32_t>, Hash, std::equal_to<>>;
  static void add_to(Map& map, const std::string& key, std::uint32_t rule);

  Map exact_;
  Map wildcard_;  // keyed by the part after "*."
};

}  // namespace tlsgate::policy

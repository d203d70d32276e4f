#pragma once
// Host names and host patterns as policy compares them: ASCII case folded, one
// trailing dot dropped, IDNs as their A-labels (the form SNI carries, RFC 6066 3).
#include <string>
#include <string_view>

namespace tlsgate::policy {

// Lower-cases ASCII letters and drops one trailing dot; other bytes are kept.
std::string normalize_host(std::string_view name);

struct HostPattern {
  enum class Kind {
    exact,     // "www.example.com": that name only
    wildcard,  // "*.example.com": any name below example.com, at any depth, not example.com itself
    never,     // can never equal a name on the wire ("a.*.com", "*.", "bücher.de"); see `why`
  };
  Kind kind = Kind::never;
  std::string name;  // normalized; for a wildcard, the part after "*."
  std::string why;   // for Kind::never: what is wrong, for lint

  // `text` must be non-empty (the caller reports an empty one as an error).
  static HostPattern parse(std::string_view text);
  // True when this pattern matches every name that `other` matches.
  bool covers(const HostPattern& other) const;
  std::string to_string() const;
};

// True when `suffix` is a proper domain suffix of `name`: name = "<something>." + suffix.
bool is_subdomain(std::string_view name, std::string_view suffix);

}  // namespace tlsgate::policy

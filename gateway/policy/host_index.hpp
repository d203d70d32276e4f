#pragma once
// Rule numbers by host pattern: one table for exact names and one for wildcard
// suffixes, so a lookup costs one probe per label of the queried name. Built
// for host lists of millions of names: each name is stored once in a byte
// arena and the tables hold 8 bytes per slot, about 40 bytes per name in all.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tlsgate::policy {

struct HostPattern;

class HostIndex {
 public:
  // Names of one rule must be added with ascending rule numbers across calls,
  // so that each list stays sorted. Kind::never patterns are not indexed.
  void add(const HostPattern& pattern, std::uint32_t rule);
  // `name` normalized, at most 255 bytes (longer is no DNS name and is not indexed).
  void add_exact(std::string_view name, std::uint32_t rule);
  // The part after "*.": matches every name below `suffix`.
  void add_wildcard(std::string_view suffix, std::uint32_t rule);
  // Matches `name` and every name below it (adblock's ||name^), stored once.
  void add_domain(std::string_view name, std::uint32_t rule);
  // Makes room for this many more names without growing the tables on the way.
  void reserve(std::size_t exact, std::size_t wildcard, std::size_t domain = 0);
  // Gives back what growing left unused; call once everything is added.
  void shrink_to_fit();

  // Calls `visit(std::span<const std::uint32_t> rules)` for every list of rule numbers (ascending) whose pattern
  // matches the normalized `name`; a wildcard in `name` ("*.example.com", as a
  // certificate may carry) matches wildcard patterns covering it.
  template <class Visit>
  void for_each_match(std::string_view name, Visit&& visit) const {
    if (const auto* slot = exact_.find(name)) visit(rules_of(*slot));
    if (const auto* slot = domain_.find(name)) visit(rules_of(*slot));
    // Each proper suffix after a non-empty first label: a.b.example.com -> b.example.com, example.com, com.
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
      if (dot == 0) continue;
      const auto suffix = name.substr(dot + 1);
      if (const auto* slot = wildcard_.find(suffix)) visit(rules_of(*slot));
      if (const auto* slot = domain_.find(suffix)) visit(rules_of(*slot));
    }
  }

  // Memory held, for `tlsgate policy check --stats`.
  std::size_t bytes() const;

 private:
  // Open addressing (linear probing, at most half full) from a name to a
  // value: a rule number, or with `shared_bit` an index into `shared_`.
  class NameTable {
   public:
    const std::uint32_t* find(std::string_view name) const;
    // The slot for `name`, inserted as `rule` when new (then `inserted` is true).
    std::uint32_t& insert(std::string_view name, std::uint32_t rule, bool& inserted);
    void reserve(std::size_t more);
    void shrink_to_fit() { arena_.shrink_to_fit(); }
    std::size_t bytes() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity(); }

   private:
    struct Slot {
      std::uint32_t name = empty;  // offset of the name's length byte in arena_
      std::uint32_t value = 0;
    };
    static constexpr std::uint32_t empty = 0xffffffffu;
    std::string_view name_at(std::uint32_t offset) const;
    std::size_t home(std::string_view name) const;
    void grow(std::size_t capacity);

    std::vector<Slot> slots_;  // size 0 or a power of two
    std::size_t used_ = 0;
    std::string arena_;  // names, each after one length byte
  };

  static constexpr std::uint32_t shared_bit = 0x80000000u;
  std::span<const std::uint32_t> rules_of(const std::uint32_t& slot) const {
    if (slot & shared_bit) return shared_[slot & ~shared_bit];
    return {&slot, 1};
  }
  void add_to(NameTable& table, std::string_view key, std::uint32_t rule);

  NameTable exact_;
  NameTable wildcard_;
  NameTable domain_;
  std::vector<std::vector<std::uint32_t>> shared_;  // names that several rules list
};

}  // namespace tlsgate::policy

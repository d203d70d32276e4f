#include "gateway/policy/host_index.hpp"

#include <functional>
#include <utility>

#include "gateway/policy/host_pattern.hpp"

namespace tlsgate::policy {
namespace {

constexpr std::size_t max_name_bytes = 255;

}  // namespace

std::string_view HostIndex::NameTable::name_at(std::uint32_t offset) const {
  const auto size = static_cast<unsigned char>(arena_[offset]);
  return std::string_view(arena_).substr(offset + 1, size);
}

std::size_t HostIndex::NameTable::home(std::string_view name) const {
  return std::hash<std::string_view>{}(name) & (slots_.size() - 1);
}

const std::uint32_t* HostIndex::NameTable::find(std::string_view name) const {
  if (slots_.empty() || name.size() > max_name_bytes) return nullptr;
  for (std::size_t i = home(name);; i = (i + 1) & (slots_.size() - 1)) {
    const Slot& s = slots_[i];
    if (s.name == empty) return nullptr;
    if (name_at(s.name) == name) return &s.value;
  }
}

void HostIndex::NameTable::grow(std::size_t capacity) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  for (const Slot& s : old) {
    if (s.name == empty) continue;
    std::size_t i = home(name_at(s.name));
    while (slots_[i].name != empty) i = (i + 1) & (capacity - 1);
    slots_[i] = s;
  }
}

void HostIndex::NameTable::reserve(std::size_t more) {
  std::size_t capacity = slots_.empty() ? 16 : slots_.size();
  while ((used_ + more) * 2 > capacity) capacity *= 2;
  if (capacity != slots_.size()) grow(capacity);
}

std::uint32_t& HostIndex::NameTable::insert(std::string_view name, std::uint32_t rule, bool& inserted) {
  reserve(1);
  std::size_t i = home(name);
  for (; slots_[i].name != empty; i = (i + 1) & (slots_.size() - 1)) {
    if (name_at(slots_[i].name) == name) {
      inserted = false;
      return slots_[i].value;
    }
  }
  slots_[i].name = static_cast<std::uint32_t>(arena_.size());
  slots_[i].value = rule;
  arena_.push_back(static_cast<char>(name.size()));
  arena_.append(name);
  ++used_;
  inserted = true;
  return slots_[i].value;
}

void HostIndex::add_to(NameTable& table, std::string_view key, std::uint32_t rule) {
  if (key.size() > max_name_bytes) return;  // no DNS name is that long: it can never match
  bool inserted = false;
  std::uint32_t& slot = table.insert(key, rule, inserted);
  if (inserted) return;
  if (slot & shared_bit) {
    auto& rules = shared_[slot & ~shared_bit];
    if (rules.back() != rule) rules.push_back(rule);
  } else if (slot != rule) {
    shared_.push_back({slot, rule});
    slot = static_cast<std::uint32_t>(shared_.size() - 1) | shared_bit;
  }
}

void HostIndex::add(const HostPattern& pattern, std::uint32_t rule) {
  if (pattern.kind == HostPattern::Kind::exact) add_exact(pattern.name, rule);
  if (pattern.kind == HostPattern::Kind::wildcard) add_wildcard(pattern.name, rule);
}

void HostIndex::add_exact(std::string_view name, std::uint32_t rule) { add_to(exact_, name, rule); }

void HostIndex::add_wildcard(std::string_view suffix, std::uint32_t rule) { add_to(wildcard_, suffix, rule); }

void HostIndex::add_domain(std::string_view name, std::uint32_t rule) { add_to(domain_, name, rule); }

void HostIndex::reserve(std::size_t exact, std::size_t wildcard, std::size_t domain) {
  exact_.reserve(exact);
  wildcard_.reserve(wildcard);
  domain_.reserve(domain);
}

void HostIndex::shrink_to_fit() {
  exact_.shrink_to_fit();
  wildcard_.shrink_to_fit();
  domain_.shrink_to_fit();
  shared_.shrink_to_fit();
}

std::size_t HostIndex::bytes() const {
  std::size_t n = exact_.bytes() + wildcard_.bytes() + domain_.bytes() + shared_.capacity() * sizeof(shared_[0]);
  for (const auto& s : shared_) n += s.capacity() * sizeof(std::uint32_t);
  return n;
}

}  // namespace tlsgate::policy

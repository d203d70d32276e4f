#include "gateway/http/header_fields.hpp"

#include <functional>

namespace tlsgate::http {

void HeaderFields::add(std::string&& name, std::string&& value, bool join) {
  ++received_;
  if (const std::size_t at = position(name); at != npos) {
    if (join) fields_[at].second.append(", ").append(value);
    return;
  }
  // One allocation covers a typical message; growth past it is geometric.
  if (fields_.empty()) fields_.reserve(linear_scan_fields);
  fields_.emplace_back(std::move(name), std::move(value));
  if (fields_.size() <= linear_scan_fields) return;
  if (2 * fields_.size() > slots_.size()) {
    rebuild_index();  // also the first time past the linear scan
  } else {
    index(fields_.size() - 1);
  }
}

std::optional<std::string_view> HeaderFields::value(std::string_view name) const {
  const std::size_t at = position(name);
  if (at == npos) return std::nullopt;
  return std::string_view(fields_[at].second);
}

std::size_t HeaderFields::position(std::string_view name) const {
  if (slots_.empty()) {
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].first == name) return i;
    }
    return npos;
  }
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = std::hash<std::string_view>{}(name) & mask;; s = (s + 1) & mask) {
    if (slots_[s] == 0) return npos;  // the table is at most half full: a free slot ends every probe
    if (fields_[slots_[s] - 1].first == name) return slots_[s] - 1;
  }
}

void HeaderFields::index(std::size_t at) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t s = std::hash<std::string_view>{}(fields_[at].first) & mask;
  while (slots_[s] != 0) s = (s + 1) & mask;
  slots_[s] = at + 1;
}

void HeaderFields::rebuild_index() {
  std::size_t size = 2 * linear_scan_fields;
  while (size < 4 * fields_.size()) size *= 2;  // at most a quarter full now, half before the next rebuild
  slots_.assign(size, 0);
  for (std::size_t i = 0; i < fields_.size(); ++i) index(i);
}

namespace {

using Object = nlohmann::ordered_json::object_t;

// Names are unique: the fields go straight into the object's storage (a vector of pairs,
// ordered_map); its own emplace would scan it for every name.
Object::Container& storage_of(nlohmann::ordered_json& object, std::size_t fields) {
  auto& storage = static_cast<Object::Container&>(object.get_ref<Object&>());
  storage.reserve(fields);
  return storage;
}

}  // namespace

nlohmann::ordered_json HeaderFields::to_json() const& {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto& storage = storage_of(j, fields_.size());
  for (const auto& [name, value] : fields_) storage.emplace_back(name, value);
  return j;
}

nlohmann::ordered_json HeaderFields::to_json() && {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto& storage = storage_of(j, fields_.size());
  for (auto& [name, value] : fields_) storage.emplace_back(std::move(name), std::move(value));
  *this = HeaderFields();
  return j;
}

}  // namespace tlsgate::http

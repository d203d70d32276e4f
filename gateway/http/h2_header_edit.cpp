#include "gateway/http/h2_header_edit.hpp"

#include <algorithm>

#include "gateway/http/header_edit.hpp"

namespace tlsgate::http::h2 {
namespace {

std::string lowercase(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  }
  return out;
}

}  // namespace

bool apply_header_edits(std::vector<HeaderField>& fields, std::span<const HeaderEdit> edits) {
  bool changed = false;
  for (const HeaderEdit& edit : edits) {
    if (header_edit_error(edit)) continue;
    const auto named = [&edit](const HeaderField& f) { return same_field_name(f.name, edit.name); };
    auto from = fields.begin();  // where the fields to drop are looked for
    if (edit.kind == HeaderEdit::Kind::set) {
      changed = true;
      from = std::find_if(fields.begin(), fields.end(), named);
      if (from == fields.end()) {
        fields.push_back({lowercase(edit.name), edit.value});
        continue;
      }
      from->name = lowercase(edit.name);
      from->value = edit.value;
      ++from;
    }
    const auto kept = std::remove_if(from, fields.end(), named);
    changed = changed || kept != fields.end();
    fields.erase(kept, fields.end());
  }
  return changed;
}

}  // namespace tlsgate::http::h2

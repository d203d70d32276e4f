#include "gateway/http/http1_header_edit.hpp"

#include <algorithm>
#include <vector>

#include "gateway/http/header_edit.hpp"

namespace tlsgate::http::h1 {
namespace {

constexpr std::string_view crlf = "\r\n";

// A field line of the head being edited: the client's line (CRLF included), or a set edit's.
struct Line {
  std::string_view text;
  const HeaderEdit* set = nullptr;

  std::string_view name() const { return set ? std::string_view(set->name) : text.substr(0, text.find(':')); }
};

}  // namespace

bool append_edited_head(std::string_view head, std::size_t start, std::span<const HeaderEdit> edits,
                        std::string& out) {
  const std::size_t fields_at = head.find(crlf, start) + crlf.size();
  std::vector<Line> lines;
  for (std::string_view rest = head.substr(fields_at, head.size() - fields_at - crlf.size()); !rest.empty();) {
    const std::size_t end = rest.find(crlf) + crlf.size();
    lines.push_back({rest.substr(0, end)});
    rest.remove_prefix(end);
  }
  bool changed = false;
  for (const HeaderEdit& edit : edits) {
    if (header_edit_error(edit)) continue;
    const auto named = [&edit](const Line& line) { return same_field_name(line.name(), edit.name); };
    auto from = lines.begin();  // where the fields to drop are looked for
    if (edit.kind == HeaderEdit::Kind::set) {
      changed = true;
      from = std::find_if(lines.begin(), lines.end(), named);
      if (from == lines.end()) {
        lines.push_back({{}, &edit});
        continue;
      }
      from->set = &edit;
      ++from;
    }
    const auto kept = std::remove_if(from, lines.end(), named);
    changed = changed || kept != lines.end();
    lines.erase(kept, lines.end());
  }
  if (!changed) {
    out.append(head);
    return false;
  }
  out.append(head.substr(0, fields_at));
  for (const Line& line : lines) {
    if (line.set) {
      out.append(line.set->name).append(": ").append(line.set->value).append(crlf);
    } else {
      out.append(line.text);
    }
  }
  out.append(crlf);
  return true;
}

}  // namespace tlsgate::http::h1

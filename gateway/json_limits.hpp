#pragma once
// A pre-parse guard for JSON read from files (config, policy): nlohmann builds
// the whole tree, and a few MB of "[[[[..." cost gigabytes, so the nesting
// depth is checked by a linear scan before any parser runs.
#include <cstddef>
#include <optional>
#include <string_view>

namespace tlsgate {

// The byte offset where `text` first nests deeper than `max_depth` arrays or
// objects, or nullopt. Brackets inside strings do not count. Does not validate
// the JSON: the parser that runs next reports syntax errors.
inline std::optional<std::size_t> json_too_deep(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace tlsgate

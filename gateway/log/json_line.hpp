#pragma once
// Appends JSON values to one std::string, with no intermediate tree: the
// bytes are exactly what nlohmann::json::dump(-1, ' ', false, replace) gives
// for the same values (compact, UTF-8 kept, invalid UTF-8 replaced by U+FFFD),
// so lines written this way and through FlowLog::submit_event look the same.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tlsgate::log {

// A JSON string literal (quotes included). Printable ASCII is escaped here;
// anything with bytes above 0x7f goes through nlohmann's serializer (UTF-8
// validation and replacement), so the output always matches it.
void append_string(std::string& out, std::string_view text);
void append_uint(std::string& out, std::uint64_t value);
void append_int(std::string& out, std::int64_t value);
// nlohmann's shortest round-trip form ("12.0", "0.125", "1e-07").
void append_double(std::string& out, double value);
void append_null(std::string& out);
// A value already held as a tree (e.g. a header object), serialized in place.
void append_json(std::string& out, const nlohmann::ordered_json& value);

// `"key":` after a comma unless `first`; keys are written with append_string.
void append_key(std::string& out, std::string_view key, bool first = false);

template <class T>
void append_optional_string(std::string& out, const std::optional<T>& value) {
  if (value) {
    append_string(out, *value);
  } else {
    append_null(out);
  }
}

}  // namespace tlsgate::log

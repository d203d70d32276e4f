#pragma once
// One message's header fields as they are logged: names in order of first arrival, each name
// once, a repeated name's values joined with ", ". A plain vector of (name, value) pairs: no
// JSON tree and no per-field index node, so a typical message (~10 fields) costs only its
// strings. Repeats are found by a linear scan while the message is small; past
// `linear_scan_fields` names, through an open-addressing table of positions, so adding a
// field stays O(1) amortised with thousands of (hostile) fields.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tlsgate::http {

class HeaderFields {
 public:
  using Field = std::pair<std::string, std::string>;
  // Up to this many names a repeat is found by scanning the fields; past it, through the table.
  static constexpr std::size_t linear_scan_fields = 16;

  // Records one received field, taking both strings. A new name is appended; a repeated one
  // gets ", " and `value` appended to its value when `join`, else keeps its value as is (a
  // redacted value stays "[redacted]"). Names are compared exactly: the caller lowercases.
  void add(std::string&& name, std::string&& value, bool join = true);

  // The value of the field named `name`, or nullopt. Valid until the next add.
  std::optional<std::string_view> value(std::string_view name) const;
  bool contains(std::string_view name) const { return position(name) != npos; }
  std::size_t size() const { return fields_.size(); }  // distinct names
  bool empty() const { return fields_.empty(); }
  // Fields received, repeats included (what max_header_fields counts).
  std::size_t received() const { return received_; }

  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

  // The fields as a JSON object in the same order (for callers that need a tree); the
  // rvalue form moves the strings out and leaves the object empty.
  nlohmann::ordered_json to_json() const&;
  nlohmann::ordered_json to_json() &&;

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  std::size_t position(std::string_view name) const;
  void index(std::size_t position);  // enters fields_[position] into slots_
  void rebuild_index();              // sizes slots_ for twice the fields and enters them all

  std::vector<Field> fields_;
  // Empty while fields_ is small. Else a power-of-two table of position + 1 (0: free), at
  // most half full, probed linearly from the name's hash. Positions, not pointers: copies and
  // moves of the object stay valid.
  std::vector<std::size_t> slots_;
  std::size_t received_ = 0;
};

}  // namespace tlsgate::http

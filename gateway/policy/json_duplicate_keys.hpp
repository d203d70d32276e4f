#pragma once
// nlohmann::json keeps the last of two equal keys without a word; a repeated
// "host" or "rules" would silently drop the first. This SAX pass over a text
// that already parsed follows the JSON path and reports repeated keys. (A
// parse callback would do it in one pass, but nlohmann's callback parser is
// two orders of magnitude slower on large files.) Internal to gateway/policy.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace tlsgate::policy {

class DuplicateKeys : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return element(); }
  bool boolean(bool) override { return element(); }
  bool number_integer(number_integer_t) override { return element(); }
  bool number_unsigned(number_unsigned_t) override { return element(); }
  bool number_float(number_float_t, const string_t&) override { return element(); }
  bool string(string_t&) override { return element(); }
  bool binary(binary_t&) override { return element(); }
  bool start_object(std::size_t) override { return open(false); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    Frame& f = frames_.back();
    f.key = k;
    if (!f.keys.insert(k).second) paths.push_back(f.path.empty() ? k : f.path + "." + k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

  std::vector<std::string> paths;  // where a key repeats

 private:
  struct Frame {
    bool array = false;
    std::size_t next_index = 0;
    std::set<std::string> keys;
    std::string key;
    std::string path;
  };
  // The path of the element starting now; in an array, moves on to the next index.
  std::string child_path() {
    if (frames_.empty()) return "";
    Frame& f = frames_.back();
    if (f.array) return f.path + "[" + std::to_string(f.next_index++) + "]";
    return f.path.empty() ? f.key : f.path + "." + f.key;
  }
  bool element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().next_index;
    return true;
  }
  bool open(bool array) {
    auto path = child_path();
    frames_.push_back({array, 0, {}, {}, std::move(path)});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }

  std::vector<Frame> frames_;
};

}  // namespace tlsgate::policy

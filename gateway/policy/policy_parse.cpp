#include "gateway/policy/policy_parse.hpp"

#include "gateway/json_limits.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

namespace tlsgate::policy {
namespace {

using nlohmann::json;

// 1-based line and column of byte offset `byte` (nlohmann's parse_error::byte
// is the 1-based position of the last character read).
std::string line_column(const std::string& text, std::size_t byte) {
  const std::size_t pos = std::min(byte > 0 ? byte - 1 : 0, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> "syntax error ..."
std::string syntax_detail(const std::string& what) {
  auto pos = what.find("column ");
  pos = what.find(": ", pos == std::string::npos ? 0 : pos);
  return pos == std::string::npos ? what : what.substr(pos + 2);
}

// nlohmann::json keeps the last of two equal keys without a word; a repeated
// "host" or "rules" would silently drop the first. This SAX pass over a text
// that already parsed follows the JSON path and reports repeated keys. (A
// parse callback would do it in one pass, but nlohmann's callback parser is
// two orders of magnitude slower on large files.)
class DuplicateKeys : public nlohmann::json_sax<json> {
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

class Reader {
 public:
  Reader(const std::string& source, ParsedPolicy& out) : source_(source), out_(out) {}

  void error(const std::string& path, const std::string& message) {
    out_.errors.push_back({LintFinding::Severity::error, where(source_, path), message});
  }

  // A single value or an array of them: calls `item(value, path)` for each.
  // Empty arrays are an error: a matcher that matches nothing is a mistake.
  template <class F>
  bool each(const json& v, const std::string& path, F&& item) {
    if (!v.is_array()) return item(v, path);
    if (v.empty()) {
      error(path, "must not be an empty list (leave the key out to match anything)");
      return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < v.size(); ++i) ok = item(v[i], path + "[" + std::to_string(i) + "]") && ok;
    return ok;
  }

  bool host(const json& v, const std::string& path, Rule& rule) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      error(path, "must be a non-empty host name string, like \"www.example.com\" or \"*.example.com\"");
      return false;
    }
    auto pattern = HostPattern::parse(v.get_ref<const std::string&>());
    if (pattern.kind == HostPattern::Kind::never)
      out_.warnings.push_back({LintFinding::Severity::warning, where(source_, path),
                               "\"" + v.get<std::string>() + "\" can never match: " + pattern.why});
    rule.hosts.push_back(std::move(pattern));
    return true;
  }

  bool cidr(const json& v, const std::string& path, std::vector<Cidr>& out) {
    const auto c = v.is_string() ? Cidr::parse(v.get_ref<const std::string&>()) : std::nullopt;
    if (!c) {
      error(path, "must be an IPv4 or IPv6 address or CIDR without host bits, like \"10.0.0.0/8\" or \"fd00::/8\"");
      return false;
    }
    out.push_back(*c);
    return true;
  }

  bool port(const json& v, const std::string& path, std::vector<PortRange>& out) {
    const auto range = port_range(v);
    if (!range) {
      error(path, "must be a port (1-65535) or a range string like \"8000-8999\" (low to high)");
      return false;
    }
    out.push_back(*range);
    return true;
  }

  std::optional<Action> action(const json& v, const std::string& path) {
    const auto a = v.is_string() ? parse_action(v.get_ref<const std::string&>()) : std::nullopt;
    if (!a) error(path, "must be \"intercept\", \"tunnel\", \"block\" or \"onboard\"");
    return a;
  }

  std::optional<Rule> rule(const json& v, const std::string& path) {
    if (!v.is_object()) {
      error(path, "must be an object with \"action\" and matchers (host, client, server, port)");
      return std::nullopt;
    }
    Rule r;
    bool ok = true;
    std::optional<Action> act;
    for (const auto& [key, value] : v.items()) {
      const std::string p = path + "." + key;
      if (key == "name") {
        if (!value.is_string()) error(p, "must be a string");
        else r.name = value.get<std::string>();
        ok = ok && value.is_string();
      } else if (key == "action") {
        act = action(value, p);
        ok = ok && act;
      } else if (key == "host") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return host(x, xp, r); }) && ok;
      } else if (key == "client") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return cidr(x, xp, r.clients); }) && ok;
      } else if (key == "server") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return cidr(x, xp, r.servers); }) && ok;
      } else if (key == "port") {
        ok = each(value, p, [&](const json& x, const std::string& xp) { return port(x, xp, r.ports); }) && ok;
      } else if (key == "capture") {
        if (!value.is_boolean()) error(p, "must be true or false");
        else r.capture = value.get<bool>();
        ok = ok && value.is_boolean();
      } else if (key == "learn_bypass") {
        if (!value.is_boolean()) error(p, "must be true or false");
        else r.learn_bypass = value.get<bool>();
        ok = ok && value.is_boolean();
      } else {
        error(p, "unknown key (known: name, host, client, server, port, action, capture, learn_bypass)");
        ok = false;
      }
    }
    if (!v.contains("action")) {
      error(path, "\"action\" is required");
      ok = false;
    }
    if (!ok) return std::nullopt;
    r.action = *act;
    return r;
  }

 private:
  static std::optional<std::uint16_t> port_number(std::string_view s) {
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || n < 1 || n > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(n);
  }

  static std::optional<PortRange> port_range(const json& v) {
    if (v.is_number_integer()) {
      const auto n = v.get<std::int64_t>();
      if (n < 1 || n > 65535) return std::nullopt;
      return PortRange{static_cast<std::uint16_t>(n), static_cast<std::uint16_t>(n)};
    }
    if (!v.is_string()) return std::nullopt;
    const std::string_view s = v.get_ref<const std::string&>();
    const auto dash = s.find('-');
    const auto first = port_number(s.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : port_number(s.substr(dash + 1));
    if (!first || !last || *first > *last) return std::nullopt;
    return PortRange{*first, *last};
  }

  const std::string& source_;
  ParsedPolicy& out_;
};

}  // namespace

std::string where(const std::string& source, const std::string& json_path) { return source + ": " + json_path; }

ParsedPolicy parse_policy(const std::string& json_text, const std::string& source) {
  ParsedPolicy out;
  // Caps before any parser runs: nlohmann builds the whole tree, and deep
  // nesting costs far more memory than its bytes.
  if (json_text.size() > max_policy_file_bytes) {
    out.errors.push_back({LintFinding::Severity::error, source,
                          "the policy file is larger than " + std::to_string(max_policy_file_bytes >> 20) + " MiB"});
    return out;
  }
  if (const auto deep = json_too_deep(json_text, max_policy_depth)) {
    out.errors.push_back({LintFinding::Severity::error, source + ":" + line_column(json_text, *deep),
                          "JSON nested deeper than " + std::to_string(max_policy_depth) + " levels"});
    return out;
  }
  json doc;
  try {
    doc = json::parse(json_text);
    DuplicateKeys duplicates;
    json::sax_parse(json_text, &duplicates);
    for (const auto& path : duplicates.paths)
      out.errors.push_back({LintFinding::Severity::error, where(source, path),
                            "duplicate key: only one of them would count"});
  } catch (const json::parse_error& e) {
    out.errors.push_back({LintFinding::Severity::error, source + ":" + line_column(json_text, e.byte),
                          "JSON syntax error: " + syntax_detail(e.what())});
    return out;
  }
  Reader r(source, out);
  if (!doc.is_object()) {
    r.error("(top level)", "must be an object with \"default\" and \"rules\"");
    return out;
  }
  for (const auto& [key, value] : doc.items()) {
    if (key == "default") {
      if (const auto a = r.action(value, key)) out.default_action = *a;
    } else if (key == "rules") {
      if (!value.is_array()) {
        r.error(key, "must be a list of rules");
        continue;
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        out.rules.push_back(r.rule(value[i], rule_path(i)));
      }
    } else {
      r.error(key, "unknown key (known: default, rules)");
    }
  }
  if (!doc.contains("default")) r.error("default", "is required: \"intercept\", \"tunnel\", \"block\" or \"onboard\"");
  return out;
}

// Policy::parse and load_file live with the reader, so the index (policy.cpp)
// does not depend on it.
Policy Policy::parse(const std::string& json_text, const std::string& source) {
  auto parsed = parse_policy(json_text, source);
  if (!parsed.errors.empty()) {
    const auto& e = parsed.errors.front();
    std::string more;
    if (parsed.errors.size() > 1)
      more = " (and " + std::to_string(parsed.errors.size() - 1) + " more; see tlsgate policy lint)";
    throw PolicyError(e.where + ": " + e.message + more);
  }
  std::vector<Rule> rules;
  rules.reserve(parsed.rules.size());
  for (auto& r : parsed.rules) rules.push_back(std::move(*r));
  return Policy(std::move(rules), parsed.default_action);
}

Policy Policy::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PolicyError(path + ": cannot open the policy file");
  // Never more than one byte past the cap: parse() then names the size problem.
  std::string text;
  char chunk[64 * 1024];
  while (text.size() <= max_policy_file_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw PolicyError(path + ": cannot read the policy file");
  return parse(text, path);
}

}  // namespace tlsgate::policy

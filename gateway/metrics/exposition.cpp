#include "gateway/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tlsgate::metrics {
namespace {

void escape_into(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void help_into(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Counters are integers: print them exactly, not in exponent form.
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  // The shortest of %.15g / %.17g that reads back as the same double.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Reads `"value"` at text[i] (i at the opening quote); returns the index after the closing quote.
std::size_t read_quoted(std::string_view text, std::size_t i, std::string& value) {
  for (++i; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') return i + 1;
    if (c == '\\' && i + 1 < text.size()) {
      const char n = text[++i];
      value += n == 'n' ? '\n' : n;
    } else {
      value += c;
    }
  }
  return std::string_view::npos;
}

bool parse_line(std::string_view line, Sample& s) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = std::string(line.substr(0, i));
  if (s.name.empty()) return false;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const auto eq = line.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
      std::string key(line.substr(i, eq - i)), value;
      i = read_quoted(line, eq + 1, value);
      if (i == std::string_view::npos) return false;
      s.labels.emplace_back(std::move(key), std::move(value));
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return false;
    ++i;
  }
  while (i < line.size() && line[i] == ' ') ++i;
  const std::string value(line.substr(i, line.find(' ', i) - i));
  char* end = nullptr;
  s.value = std::strtod(value.c_str(), &end);
  return !value.empty() && end && *end == '\0';
}

}  // namespace

std::string render(const std::vector<Family>& families) {
  std::string out;
  for (const auto& f : families) {
    out += "# HELP " + f.name + " ";
    help_into(out, f.help);
    out += "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const auto& s : f.samples) {
      out += f.name;
      if (!s.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out += s.labels[i].first + "=\"";
          escape_into(out, s.labels[i].second);
          out += '"';
        }
        out += '}';
      }
      out += ' ' + number(s.value) + '\n';
    }
  }
  return out;
}

std::vector<Sample> parse(std::string_view text) {
  std::vector<Sample> samples;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    Sample s;
    if (parse_line(line, s)) samples.push_back(std::move(s));
  }
  return samples;
}

}  // namespace tlsgate::metrics

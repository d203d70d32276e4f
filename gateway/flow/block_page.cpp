#include "gateway/flow/block_page.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <utility>

#include "gateway/markup_escape.hpp"

namespace tlsgate {
namespace {

std::string page(std::string_view title, const std::string& body) {
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + std::string(title) +
         "</title></head>\n<body><h1>" + std::string(title) + "</h1>\n" + body + "</body></html>\n";
}

std::string built_in(const BlockPageTemplate& t, const BlockFacts& f) {
  std::string body = "<p>The request for <b>" + markup_escape(f.host.empty() ? "(no host)" : f.host) +
                     "</b> was blocked by this network's gateway.</p>\n";
  if (!t.operator_text.empty()) body += "<p>" + markup_escape(t.operator_text) + "</p>\n";
  body += "<p>Rule: <code>" + markup_escape(f.rule) + "</code> &middot; reason: " + markup_escape(f.reason) +
          " &middot; flow " + std::to_string(f.flow_id) + "</p>\n";
  return page("Blocked by tlsgate", body);
}

// One pass over the template: a value is never searched for placeholders itself.
std::string fill(const BlockPageTemplate& t, const BlockFacts& f) {
  const std::array<std::pair<std::string_view, std::string>, 5> values = {{
      {"{{host}}", markup_escape(f.host)},
      {"{{rule}}", markup_escape(f.rule)},
      {"{{flow_id}}", std::to_string(f.flow_id)},
      {"{{reason}}", markup_escape(f.reason)},
      {"{{text}}", markup_escape(t.operator_text)},
  }};
  std::string out;
  out.reserve(t.html.size() + 256);
  std::string_view rest = t.html;
  while (!rest.empty()) {
    const auto open = rest.find("{{");
    out.append(rest.substr(0, open));
    if (open == std::string_view::npos) break;
    rest.remove_prefix(open);
    bool replaced = false;
    for (const auto& [name, value] : values) {
      if (!rest.starts_with(name)) continue;
      out += value;
      rest.remove_prefix(name.size());
      replaced = true;
      break;
    }
    if (!replaced) {
      out += "{{";
      rest.remove_prefix(2);
    }
  }
  return out;
}

}  // namespace

BlockPageTemplate load_block_page(const Config& config) {
  BlockPageTemplate t{config.block_page_text, {}};
  if (!config.block_page_file) return t;
  const std::string& path = *config.block_page_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("/block_page_file: " + path + ": cannot open the block page");
  std::string text;
  char chunk[8192];
  while (text.size() <= max_block_page_file_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw ConfigError("/block_page_file: " + path + ": cannot read the block page");
  if (text.empty()) throw ConfigError("/block_page_file: " + path + ": the block page is empty");
  if (text.size() > max_block_page_file_bytes)
    throw ConfigError("/block_page_file: " + path + ": larger than " + std::to_string(max_block_page_file_bytes / 1024) +
                      " KiB");
  t.html = std::move(text);
  return t;
}

std::string block_page(const BlockPageTemplate& page, const BlockFacts& facts) {
  return page.html.empty() ? built_in(page, facts) : fill(page, facts);
}

std::string misdirected_page(std::string_view host) {
  return page("Misdirected request",
              "<p><b>" + markup_escape(host) + "</b> is served on a connection of its own: retry there.</p>\n");
}

}  // namespace tlsgate

#include "gateway/flow/header_rule_notes.hpp"

#include "gateway/http/header_edit.hpp"

namespace tlsgate {

void HeaderRuleNotes::forwarded(const http::RequestHead& head, const std::vector<http::HeaderEdit>& edits) {
  const bool h2 = head.version == "2";
  const std::uint64_t key = h2 ? head.stream_id : ++http1_forwarded_;
  if (edits.empty()) return;
  std::vector<std::string> rules;
  for (const http::HeaderEdit& edit : edits) {
    if (!http::header_edit_error(edit)) rules.push_back(http::describe(edit));
  }
  if (!rules.empty()) keep(h2 ? h2_ : http1_, key, std::move(rules));
}

std::vector<std::string> HeaderRuleNotes::take(const http::HttpExchange& exchange) {
  if (exchange.http_version == "2") return take(h2_, exchange.stream_id);
  return take(http1_, ++http1_logged_);
}

void HeaderRuleNotes::keep(Notes& notes, std::uint64_t key, std::vector<std::string> rules) {
  notes[key] = std::move(rules);
  if (notes.size() > max_notes) notes.erase(notes.begin());
}

std::vector<std::string> HeaderRuleNotes::take(Notes& notes, std::uint64_t key) {
  const auto it = notes.find(key);
  if (it == notes.end()) return {};
  std::vector<std::string> rules = std::move(it->second);
  notes.erase(it);
  return rules;
}

}  // namespace tlsgate

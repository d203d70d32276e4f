#pragma once
// The pages the gateway answers a request with instead of forwarding it: a
// block page (403) naming the host, the rule and the flow, with a line of the
// operator's text, or the operator's own HTML file with those as placeholders;
// and a short page for a misdirected request (421). Every value put into a
// page is HTML-escaped. The gates send them with Cache-Control: no-store.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/config.hpp"

namespace tlsgate {

// block_page_text and block_page_file's content, read once (at startup and on SIGHUP).
struct BlockPageTemplate {
  std::string operator_text;  // one line, shown on the built-in page; empty: none
  std::string html;           // the operator's page with {{...}} placeholders; empty: the built-in page
};

// An h2 answer is cut to the client's stream window (64 KiB unless it says less).
constexpr std::size_t max_block_page_file_bytes = 32 * 1024;

// Reads config.block_page_file when set. Throws ConfigError naming the key and
// the file when it cannot be read, is empty or is larger than max_block_page_file_bytes.
BlockPageTemplate load_block_page(const Config& config);

// What a block page says about the request it refused.
struct BlockFacts {
  std::string_view host;
  std::string_view rule;
  std::uint64_t flow_id = 0;
  std::string_view reason;
};

// The built-in page, or the operator's with {{host}}, {{rule}}, {{flow_id}},
// {{reason}} and {{text}} replaced (each escaped); other text is kept as written.
std::string block_page(const BlockPageTemplate& page, const BlockFacts& facts);
std::string misdirected_page(std::string_view host);

}  // namespace tlsgate

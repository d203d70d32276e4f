#include "gateway/flow/block_page.hpp"

#include "gateway/markup_escape.hpp"

namespace tlsgate {
namespace {

std::string page(std::string_view title, const std::string& body) {
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + std::string(title) +
         "</title></head>\n<body><h1>" + std::string(title) + "</h1>\n" + body + "</body></html>\n";
}

}  // namespace

std::string block_page(std::string_view host, std::string_view rule, std::uint64_t flow_id, std::string_view why) {
  return page("Blocked by tlsgate",
              "<p>The request for <b>" + markup_escape(host.empty() ? "(no host)" : host) +
                  "</b> was blocked by this network's gateway.</p>\n<p>Rule: <code>" + markup_escape(rule) +
                  "</code> &middot; reason: " + markup_escape(why) + " &middot; flow " + std::to_string(flow_id) +
                  "</p>\n");
}

std::string misdirected_page(std::string_view host) {
  return page("Misdirected request",
              "<p><b>" + markup_escape(host) + "</b> is served on a connection of its own: retry there.</p>\n");
}

}  // namespace tlsgate

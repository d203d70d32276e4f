#pragma once
// What an ICAP service says about itself in its OPTIONS response (RFC 3507
// 4.10.2), read from a parsed response. Pure.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/icap/icap_response.hpp"

namespace tlsgate::icap {

struct IcapOptions {
  std::vector<std::string> methods;    // "RESPMOD", "REQMOD"
  std::string istag;                   // the service's state tag, quotes kept
  std::string service;                 // its description, if given
  std::optional<std::size_t> preview;  // bytes it wants first; absent: no previews
  // File extensions (lower case) or {"*"}: send a preview / send nothing / send all.
  std::vector<std::string> transfer_preview, transfer_ignore, transfer_complete;
  std::optional<unsigned> max_connections;  // absent: the server sets no bound
  std::optional<std::chrono::seconds> ttl;  // Options-TTL; absent: valid until it fails
  bool allow_204 = false;                   // it may answer 204 outside a preview

  bool supports(std::string_view method) const;
  // How to send a body whose file extension is `extension` (lower case, without
  // the dot; "" when unknown), by the Transfer-* lists (RFC 3507 4.10.2).
  enum class Transfer { preview, ignore, complete };
  Transfer transfer_for(std::string_view extension) const;
};

// The options of a 200 OPTIONS response. nullopt, with the reason in `error`,
// for another status, a missing `Methods` or ISTag, or a number that is not one.
std::optional<IcapOptions> read_options(const IcapResponse& response, std::string& error);

}  // namespace tlsgate::icap

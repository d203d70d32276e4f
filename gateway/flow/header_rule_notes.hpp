#pragma once
// Which header rules changed which request, from the request's decision (RequestPolicy) to the
// `http` event of its exchange (HttpTap). A request is named the way the observer will name its
// exchange: an h2 request by its stream, an HTTP/1 request by its place on the connection (the
// observer sees exactly the forwarded requests, in order).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/http/exchange.hpp"
#include "gateway/http/request_gate.hpp"

namespace tlsgate {

class HeaderRuleNotes {
 public:
  // Notes kept per kind of request at most: the oldest go first (their exchanges were not
  // logged: inspection off or failed).
  static constexpr std::size_t max_notes = 256;

  // `head` was forwarded with `edits` applied (the gate skips those header_edit_error()
  // refuses: they are not noted). Call it for every forwarded request: HTTP/1 ones are counted.
  void forwarded(const http::RequestHead& head, const std::vector<http::HeaderEdit>& edits);

  // The rules applied to the request of `exchange` ("set YouTube-Restrict"), empty when none;
  // call it once per logged exchange, in the order the observer finished them.
  std::vector<std::string> take(const http::HttpExchange& exchange);

 private:
  using Notes = std::map<std::uint64_t, std::vector<std::string>>;
  static void keep(Notes& notes, std::uint64_t key, std::vector<std::string> rules);
  static std::vector<std::string> take(Notes& notes, std::uint64_t key);

  std::uint64_t http1_forwarded_ = 0, http1_logged_ = 0;
  Notes http1_, h2_;  // by request number / stream id
};

}  // namespace tlsgate

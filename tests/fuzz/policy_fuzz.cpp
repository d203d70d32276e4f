// Fuzzes the policy reader with host lists, client groups, time windows and
// request rules (path, method, scheme, header edits).
// An input is a policy JSON text, then a NUL, then the text of every host list
// it names (the loader serves that text for any path). A policy that parses
// is built and asked a few questions; the list text is also fed to the list
// parser in two pieces, which must give the same entries as in one, and to
// request_path(), which must give a path it leaves unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/policy/policy.hpp"
#include "gateway/policy/policy_parse.hpp"

namespace {

using namespace tlsgate;
using namespace tlsgate::policy;

std::string entries(std::string_view text, std::size_t split) {
  HostList list;
  HostListParser parser(HostListLimits{.max_line_bytes = 256, .max_names = 1000}, [&](const ListEntry& e) { list.add(e); });
  parser.feed(text.substr(0, split));
  parser.feed(text.substr(split));
  parser.finish();
  return list.entries;
}

void ask(const Policy& policy, const std::string& host, std::uint16_t minute) {
  Query q;
  q.hosts = {host};
  q.client = IpAddress::parse("10.0.0.1");
  q.client_mac = MacAddress::parse("aa:bb:cc:dd:ee:ff");
  q.local_time = static_cast<MinuteOfWeek>(minute % minutes_per_week);
  const Decision d = policy.match(q);
  if (d.rule_index && *d.rule_index >= policy.rule_count()) std::abort();
  const bool requests = policy.requests_can_matter(q, d);
  for (const char* target : {"/", "/secret/a?b=1", "//upload/../x", "http://a.example/%73ecret/"}) {
    for (const char* method : {"GET", "POST"}) {
      q.request = RequestFields{request_path(target), method, minute % 2 ? "http" : "https"};
      const Decision r = policy.match(q);
      if (r.rule_index && *r.rule_index >= policy.rule_count()) std::abort();
      // A rule that decides this request before the handshake's rule must have made the flow intercepted.
      const bool earlier = r.rule_index && (!d.rule_index || *r.rule_index < *d.rule_index);
      if (earlier && !requests) std::abort();
    }
  }
  q.request.reset();
  q.hosts.clear();
  policy.host_can_matter(q);
}

void check_request_path(std::string_view text) {
  const std::string once = request_path(text);
  if (once.starts_with('/') && request_path(once) != once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string json(input.substr(0, nul));
  const std::string_view list = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);

  if (entries(list, list.size() / 2) != entries(list, 0)) std::abort();
  check_request_path(list);

  const HostListLoader load = [&](const std::string& path, HostListLimits limits) {
    limits.max_line_bytes = 256;
    std::size_t line = 0;
    auto parsed = parse_host_list(list, path, limits, &line);
    if (!parsed) throw PolicyError(path + ":" + std::to_string(line) + ": too many names");
    return *parsed;
  };
  auto parsed = parse_policy(json, "fuzz.json", load);
  if (!parsed.errors.empty()) return 0;
  std::vector<Rule> rules;
  for (auto& r : parsed.rules) {
    if (!r) std::abort();  // no errors, so every rule was read
    rules.push_back(std::move(*r));
  }
  const Policy policy(std::move(rules), parsed.default_action);
  const std::uint16_t minute = size > 1 ? static_cast<std::uint16_t>(data[0] * 256 + data[1]) : 0;
  for (const char* host : {"a.example", "x.ads.example", "ads.example", "*.ads.example", "example"})
    ask(policy, host, minute);
  return 0;
}

#include "gateway/daemon/scan_services_probe.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/diag.hpp"
#include "gateway/flow/relay/icap_clients.hpp"
#include "gateway/icap/icap_client.hpp"

namespace tlsgate {
namespace {

// One service and what the rules that name it need of it.
struct ServiceUse {
  icap::ServiceUri service;
  std::string rules;  // "rules[0] (scan www), rules[3]"
  bool respmod = false;
  bool reqmod = false;
};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The methods its rules need that the service does not offer.
std::vector<std::string> missing_methods(const ServiceUse& use, const icap::IcapOptions& options) {
  std::vector<std::string> missing;
  if (use.respmod && !options.supports("RESPMOD")) missing.push_back("RESPMOD (downloads)");
  if (use.reqmod && !options.supports("REQMOD")) missing.push_back("REQMOD (uploads)");
  return missing;
}

awaitable<void> probe(ServiceUse use, icap::ClientLimits limits) {
  auto client = std::make_shared<icap::IcapClient>(co_await asio::this_coro::executor, use.service, limits);
  awaitable<icap::OptionsResult> asking = client->refresh_options();  // named: see STYLE.md, GCC 12
  const icap::OptionsResult answer = co_await std::move(asking);
  client->close_idle_connections();
  const std::string uri = use.service.uri();
  if (!answer.options) {
    diag::warning("ICAP service %s: no OPTIONS (%s); the scans of %s follow their on_error until it answers",
                  uri.c_str(), answer.error.c_str(), use.rules.c_str());
    co_return;
  }
  const icap::IcapOptions& o = *answer.options;
  if (const auto missing = missing_methods(use, o); !missing.empty()) {
    diag::warning("ICAP service %s does not offer %s (it offers %s): the scans of %s follow their on_error",
                  uri.c_str(), join(missing).c_str(), join(o.methods).c_str(), use.rules.c_str());
    co_return;
  }
  const std::string preview = o.preview ? std::to_string(*o.preview) + " bytes" : "none";
  const std::string connections = o.max_connections ? std::to_string(*o.max_connections) : "no limit";
  diag::notice("ICAP service %s ready: methods %s, preview %s, Max-Connections %s (for %s)", uri.c_str(),
               join(o.methods).c_str(), preview.c_str(), connections.c_str(), use.rules.c_str());
}

}  // namespace

void probe_scan_services(asio::io_context& control, const policy::Policy& policy, const Config& config) {
  std::map<std::string, ServiceUse> uses;  // by URI: each service once
  const auto& rules = policy.rules();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& scan = rules[i].scan;
    if (!scan) continue;
    ServiceUse& use = uses[scan->service.uri()];
    use.service = scan->service;
    const std::string name = policy::rule_path(i) + (rules[i].name.empty() ? "" : " (" + rules[i].name + ")");
    use.rules += (use.rules.empty() ? "" : ", ") + name;
    use.respmod = use.respmod || scan->respmod;
    use.reqmod = use.reqmod || scan->reqmod;
  }
  const icap::ClientLimits limits = icap_client_limits(config);
  for (auto& [uri, use] : uses) asio::co_spawn(control, probe(std::move(use), limits), asio::detached);
}

}  // namespace tlsgate

#pragma once
// The decision for one HTTP request, taken on its head before any byte of it
// moves: its host (Host / :authority) with the flow's client, server and port.
// In an intercepted TLS flow a request for a host the policy would tunnel, or
// intercept under a rule with other settings, is misdirected (421): the client
// retries on a connection of its own, which the gateway decides by its SNI.
// On an HTTP port a request an onboard rule decides goes to the CA onboarding
// portal while the gateway CA is not known to work for its client; once it
// works, onboard is intercept. Pure: no I/O, safe from any thread.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/policy/client_ca.hpp"
#include "gateway/policy/policy.hpp"

namespace tlsgate {

enum class RequestPath {
  intercepted_tls,  // a request inside an intercepted TLS flow
  http_port,        // a request on a plain HTTP port
};

enum class RequestOutcome {
  allow,
  block,
  misdirected,
  onboard,  // redirected to the CA onboarding portal, never forwarded
};

enum class RequestReason {
  policy,         // the policy's rule for the request's host
  host_mismatch,  // a host the flow's connection does not stand for (421)
  no_host,        // no Host / :authority where a host rule could matter
  inspect_error,  // the gate could not parse the request where a host rule could matter
  ca_failing,     // no onboard rule, but the client rejected the forged certificate (portal_redirect_failing_clients)
};
std::string_view to_string(RequestReason reason);

struct RequestVerdict {
  RequestOutcome outcome = RequestOutcome::block;
  RequestReason reason = RequestReason::policy;
  std::optional<policy::Decision> rule;  // the rule that decided, when one did
  std::optional<std::string> host;       // the normalised host the policy saw
  // allow: the deciding rule's header edits, in order (removals, then sets).
  std::vector<policy::HeaderEdit> header_edits;
};

// The host of an authority ("Name.Example:8443", "[2001:db8::1]:80") as policy
// compares it; nullopt when nothing is left.
std::optional<std::string> host_of_authority(std::string_view authority);

// The client, as onboarding sees it.
struct ClientCa {
  policy::CaState state = policy::CaState::unknown;  // from its handshakes (policy::ClientCaTable)
  bool redirect_failing = false;  // portal_redirect_failing_clients: `failing` goes to the portal without a rule
};

// `addresses`: the flow's client, server and port (hosts empty), and the
// request's path, method and scheme (`request`) for request rules; without
// them request rules do not match. `flow_rule`: the rule the intercepted flow
// runs under.
RequestVerdict decide_request(const policy::Policy& policy, const policy::Query& addresses, RequestPath path,
                              const std::optional<policy::Decision>& flow_rule,
                              const std::optional<std::string>& authority, ClientCa client = {});

}  // namespace tlsgate

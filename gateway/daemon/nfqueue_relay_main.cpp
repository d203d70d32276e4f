#include "gateway/daemon/nfqueue_relay_main.hpp"

#include <unistd.h>

#include <csignal>
#include <exception>
#include <memory>

#include "gateway/daemon/privileges.hpp"
#include "gateway/diag.hpp"
#include "netfilter/nfqueue_relay.hpp"

namespace tlsgate {

int run_nfqueue_relay(const RelayOptions& options) {
  harden_process();
  std::signal(SIGPIPE, SIG_IGN);
  // SIGTERM / SIGINT go to the whole process group: the relay ends when the daemon closes
  // its socket, after the last verdicts, not before.
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
  try {
    netfilter::NfQueue queue(options.queue, options.fail_open);
    diag::info("nfqueue relay (pid %d): NFQUEUE %u bound; it keeps cap_net_admin, the daemon nothing",
               static_cast<int>(::getpid()), static_cast<unsigned>(options.queue));
    PrivilegePlan plan;
    plan.user = options.user;
    plan.keep_net_admin = true;
    drop_privileges(plan);
    return netfilter::relay_packets(queue, options.fd);
  } catch (const std::exception& e) {
    diag::error("nfqueue relay: %s", e.what());
    return 1;
  }
}

}  // namespace tlsgate

#pragma once
// Privileges (docs/configuration.md, `user`): everything that needs them is
// opened first (listeners with IP_TRANSPARENT, the NFQUEUE socket, the flow
// log, the state dir and CA); then the daemon drops what it no longer needs.
//
// What is still needed after setup: nothing for REDIRECT or TPROXY (accepted
// sockets inherit IP_TRANSPARENT; upstream connections are ordinary). NFQUEUE
// verdicts need CAP_NET_ADMIN (the kernel checks it on every netlink message
// to nfnetlink): the QUIC guard's relay process (netfilter/nfqueue_relay)
// keeps it, the daemon that parses network input drops it.
#include <optional>
#include <string>
#include <vector>

namespace tlsgate {

// Call before any thread exists: no_new_privs (no exec can ever regain a
// privilege) and not dumpable (no core or ptrace of a process holding the CA key).
void harden_process();

struct PrivilegePlan {
  std::optional<std::string> user;  // when running as root: switch to this user and its groups
  bool keep_net_admin = false;      // the NFQUEUE relay process
  // Created while root and used later by the user (state_dir and its files,
  // the flow log, the key log): handed to the user when switching.
  std::vector<std::string> hand_over;
};

// Why `run` must not start: as root (`is_root`) without `user` and without
// --allow-root, the daemon would parse TLS, HTTP and QUIC from the network with
// every privilege of root. nullopt when it may start.
std::optional<std::string> root_refusal(bool is_root, const std::optional<std::string>& user, bool allow_root);

// Switches user if asked (and root), then sets every thread's capabilities to
// CAP_NET_ADMIN (keep_net_admin) or none, and clears the ambient set. Logs at
// notice level what it kept. Throws std::runtime_error when a step fails (the
// daemon must not run with more than it announced).
void drop_privileges(const PrivilegePlan& plan);

// "uid=... gid=... CapEff=..." of the calling thread, for the log.
std::string describe_credentials();

}  // namespace tlsgate

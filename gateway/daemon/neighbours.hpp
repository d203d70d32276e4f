#pragma once
// The kernel's neighbour table (ARP and NDP entries) read over rtnetlink, and
// the daemon's refresh of the snapshot flows read (SharedState::neighbours) for
// client groups by MAC.
#include <optional>

#include "gateway/asio.hpp"
#include "gateway/flow/shared_state.hpp"
#include "gateway/policy/neighbour_table.hpp"

namespace tlsgate {

// One RTM_GETNEIGH dump of every address family. Entries without a link-layer
// address (incomplete, failed) are left out. nullopt when netlink fails.
std::optional<policy::NeighbourTable> read_neighbours();

// While the policy in force has groups by MAC: reads the table every 5 s, and
// within a second after a flow missed its client (at most once a second).
awaitable<void> refresh_neighbours(SharedState& shared);

}  // namespace tlsgate

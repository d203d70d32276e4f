#pragma once
// What the two relays share: a direction (bytes from one side to the other),
// the state both directions of one relay see, and how a relay ended. The blind
// tunnel (splice_tunnel) and the user-space bridge (bridge) both follow it:
// at EOF a direction passes the half-close on and returns; on a failure it
// records the first end and stops both directions.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "gateway/log/flow_record.hpp"
#include "gateway/flow/relay/relay_tap.hpp"

namespace tlsgate {

// How a relay ended.
struct RelayEnd {
  EndBy first_end = EndBy::client;   // the side that finished (or failed) first
  std::optional<std::string> error;  // the first failure
  bool reset = false;                // a side reset: the follower resets the other too
  std::optional<EndReason> cause;    // request_blocked / content_blocked: the gate / the scanner ended it
};

// Shared by both directions of one relay, in the relay's frame. Single thread.
struct RelayState {
  RelayEnd end;
  bool ended = false;    // `end.first_end` is known
  bool stopped = false;  // a direction failed: both end, whatever they wait on

  // A side finished normally (EOF); the first one counts.
  void finished(EndBy side) {
    if (ended) return;
    ended = true;
    end.first_end = side;
  }
  // A side failed: the first end unless one came before.
  void failed(EndBy side, std::string error, bool reset) {
    if (!ended) {
      ended = true;
      end.first_end = side;
      end.error = std::move(error);
    }
    end.reset = end.reset || reset;
    stopped = true;
  }
};

// Bytes from `from` to `to`. `Stream` is a tcp::socket or a tls::TlsStream.
template <class Stream>
struct Direction {
  Stream& from;
  Stream& to;
  EndBy from_side;           // client or server
  std::uint64_t& delivered;  // bytes written to `to` (the record's counters)
  RelayTap* tap;            // sees the bytes after they were written; may be null
  RelayState& state;

  EndBy to_side() const { return from_side == EndBy::client ? EndBy::server : EndBy::client; }
  void show(std::span<const std::uint8_t> bytes) const {
    if (!tap) return;
    from_side == EndBy::client ? tap->from_client(bytes) : tap->from_server(bytes);
  }
};

}  // namespace tlsgate

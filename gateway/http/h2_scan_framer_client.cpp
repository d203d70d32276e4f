// The client's side of the HTTP/2 scan framer (see h2_scan_framer.hpp): the requests (the heads
// of the ICAP requests), the client's windows (SETTINGS_INITIAL_WINDOW_SIZE, WINDOW_UPDATE)
// and its resets, from the bytes that went to the server.
#include "gateway/http/h2_scan_framer.hpp"

namespace tlsgate::http::h2 {
namespace {

constexpr std::uint16_t settings_header_table_size = 0x1;
constexpr std::uint16_t settings_initial_window_size = 0x4;

}  // namespace

void ScanFramer::from_client(std::span<const std::uint8_t> bytes, std::vector<ScanStep>& out) {
  if (client_lost_) return;
  if (client_preface_left_ > 0) {
    const std::size_t done = client_preface.size() - client_preface_left_;
    const std::size_t take = std::min(client_preface_left_, bytes.size());
    if (as_chars(bytes.first(take)) != client_preface.substr(done, take)) {
      client_lost_ = true;
      return;
    }
    client_preface_left_ -= take;
    bytes = bytes.subspan(take);
  }
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    Side& c = client_;
    if (!c.in_frame) {
      if (!c.begin(bytes, pos)) return;
      const FrameType t = c.header.type;
      c.keep = t == FrameType::headers || t == FrameType::continuation || t == FrameType::settings ||
               t == FrameType::window_update || t == FrameType::rst_stream;
    }
    c.next_piece(bytes, pos, max_kept_bytes());
    if (!c.in_frame) client_end(out);
  }
}

void ScanFramer::client_end(std::vector<ScanStep>& out) {
  const FrameHeader& h = client_.header;
  const std::string_view p = client_.payload;
  switch (h.type) {
    case FrameType::headers:
    case FrameType::continuation: {
      if (!client_.add_to_block(max_kept_bytes())) return;
      const std::uint32_t id = client_.block_stream;
      std::optional<HeaderFields> fields;
      if (!client_.decoder_lost && !client_.block_too_big) {
        fields = client_.decoder.decode(as_octets(client_.block), settings_.limits.max_header_bytes);
        if (!fields) client_.decoder_lost = true;  // request heads unknown from now on
      }
      client_.block.clear();
      if (id <= highest_client_stream_ || id % 2 == 0) return;  // trailers, or not a request
      highest_client_stream_ = id;
      if (streams_.size() >= max_streams) {
        client_lost_ = true;  // its response could not be told from one the client reset
        return;
      }
      Stream& s = streams_[id];
      if (fields) {
        RequestFacts facts = request_facts(*fields);
        s.request_head = std::move(facts.head);
        s.connect = facts.connect;
      }
      return;
    }
    case FrameType::settings:
      if (!h.has(flag::ack)) client_settings(p);
      return;
    case FrameType::window_update: {
      if (p.size() < 4) return;
      const auto increment = static_cast<std::int64_t>(read_u32(as_octets(p)) & 0x7fffffffu);
      if (h.stream_id == 0) connection_updates_ += increment;
      else if (Stream* s = find(h.stream_id)) s->updates += increment;
      return;
    }
    case FrameType::rst_stream:
      client_reset(h.stream_id, out);
      return;
    default:
      return;
  }
}

void ScanFramer::client_reset(std::uint32_t id, std::vector<ScanStep>& out) {
  Stream* s = find(id);
  if (!s) return;
  if (s->mode == Mode::scanning) {
    s->client_reset = true;  // verdict() returns its window
  } else if (s->mode == Mode::hold) {
    out.push_back({ScanStepKind::skipped, id, {}, {}, {}, {}, "stream reset by the client"});
    unreturned_ += s->held_flow;
    const bool trailers_arriving =
        (server_.in_frame && route_ == Route::hold_trailers && route_stream_ == id) ||
        (server_.block_frame_stream == id && block_route_ == Route::hold_trailers);
    if (trailers_arriving) {
      held_total_ -= s->held.size();
      s->held.clear();
      s->held_flow = 0;
      s->mode = Mode::drop;  // its trailer block still goes to the client's HPACK decoder
    } else {
      if (route_stream_ == id && route_ == Route::hold) route_ = Route::drop;
      erase(id);
    }
    // Its DATA still in flight: the client, having reset the stream, ignores it and returns its window.
  } else if (s->mode != Mode::drop) {
    erase(id);
  }
}

void ScanFramer::client_settings(std::string_view p) {
  for (std::size_t i = 0; i + 6 <= p.size(); i += 6) {
    const auto id = static_cast<std::uint16_t>((std::uint8_t(p[i]) << 8) | std::uint8_t(p[i + 1]));
    const std::uint32_t value = read_u32(as_octets(p.substr(i + 2, 4)));
    // The client's table size bounds the server's encoder: the decoder of the server's blocks may grow.
    if (id == settings_header_table_size) server_.decoder.allow_table(value);
    if (id == settings_initial_window_size && value <= 0x7fffffffu) client_initial_window_ = value;
  }
}

}  // namespace tlsgate::http::h2

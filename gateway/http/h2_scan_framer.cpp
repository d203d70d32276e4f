// HTTP/2 response framing for content scanning; see h2_scan_framer.hpp.
#include "gateway/http/h2_scan_framer.hpp"

#include <algorithm>

#include "gateway/http/h2_frame_writer.hpp"

namespace tlsgate::http::h2 {
namespace {

constexpr std::size_t max_dropped_streams = 256;  // enough for the frames in flight after a reset
constexpr std::size_t max_control_bytes = 16 * 1024;
constexpr std::uint16_t settings_header_table_size = 0x1;
// Toward the client, a withheld response is the gateway's failure, not a cancel it asked for:
// clients report it as an error and do not retry as they may after REFUSED_STREAM.
constexpr std::uint32_t withheld_error = 0x2;  // INTERNAL_ERROR
constexpr std::uint32_t cancel_error = 0x8;    // CANCEL: toward the server, the response is not wanted
constexpr std::int64_t initial_connection_window = 65535;

// The data of DATA frames as sent: frame headers, pad lengths and padding removed.
std::string payload_of(std::string_view frames) {
  std::string out;
  while (frames.size() >= frame_header_bytes) {
    const auto header = parse_frame_header(as_octets(frames).first<frame_header_bytes>());
    std::string_view p = frames.substr(frame_header_bytes, header.length);
    frames.remove_prefix(std::min(frames.size(), frame_header_bytes + header.length));
    if (header.has(flag::padded)) {
      if (p.empty() || std::uint8_t(p[0]) >= p.size()) continue;  // the server's error: no data
      p = p.substr(1, p.size() - 1 - std::uint8_t(p[0]));
    }
    out.append(p);
  }
  return out;
}

std::string reset_frame(std::uint32_t id, std::uint32_t error) {
  std::string out;
  append_rst_stream(out, id, error);
  return out;
}

void forward(std::vector<ScanStep>& out, std::string_view bytes) {
  if (bytes.empty()) return;
  if (out.empty() || out.back().kind != ScanStepKind::forward) out.push_back(ScanStep{});
  out.back().bytes.append(bytes);
}

}  // namespace

ScanFramer::ScanFramer(ScanFramerSettings settings) : settings_(std::move(settings)) {}

std::size_t ScanFramer::max_kept_bytes() const {
  // Huffman coding can grow a literal to ~4x; anything past that is over the limit anyway.
  return std::max<std::size_t>(4 * settings_.limits.max_header_bytes + 1024, max_control_bytes);
}

ScanFramer::Stream* ScanFramer::find(std::uint32_t id) {
  const auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

void ScanFramer::erase(std::uint32_t id) {
  const auto it = streams_.find(id);
  if (it == streams_.end()) return;
  held_total_ -= it->second.held.size();
  streams_.erase(it);
}

bool ScanFramer::dropped(std::uint32_t id) const {
  return std::find(dropped_.begin(), dropped_.end(), id) != dropped_.end();
}

std::int64_t ScanFramer::connection_window() const {
  return initial_connection_window + connection_updates_ - connection_sent_;
}

bool ScanFramer::to_server_ready() const {
  const bool client_at_boundary = client_preface_left_ == 0 && !client_lost_ && client_.at_boundary();
  return (!to_server_.empty() || unreturned_ > 0) && client_at_boundary;
}

std::string ScanFramer::take_to_server() {
  std::string frames = std::move(to_server_);
  to_server_.clear();
  append_window_update(frames, 0, unreturned_);
  connection_updates_ += static_cast<std::int64_t>(unreturned_);
  unreturned_ = 0;
  return frames;
}

// --- the server's bytes

void ScanFramer::emit(std::span<const std::uint8_t> bytes, std::vector<ScanStep>& out) {
  switch (route_) {
    case Route::forward:
      forward(out, as_chars(bytes));
      return;
    case Route::hold:
      if (Stream* s = find(route_stream_); s && s->mode == Mode::hold) {
        s->held.append(as_chars(bytes));
        held_total_ += bytes.size();
      }
      return;
    case Route::hold_trailers:
      if (Stream* s = find(route_stream_)) s->trailers.append(as_chars(bytes));
      return;
    case Route::after_body:
      if (Stream* s = find(route_stream_)) s->after_body.append(as_chars(bytes));
      return;
    case Route::drop:
      return;
  }
}

void ScanFramer::from_server(std::span<const std::uint8_t> bytes, std::vector<ScanStep>& out) {
  std::size_t pos = 0;
  while (pos < bytes.size() && !stopped_) {
    Side& s = server_;
    if (!s.in_frame) {
      if (s.header_have == 0 && s.block_frame_stream == 0 && client_lost_ && !passthrough_) {
        fail("h2: the client's frames could not be followed", out);
        continue;
      }
      if (!s.begin(bytes, pos)) return;  // a partial frame header is kept, not yet routed
      const bool failed_before = passthrough_;
      server_header(out);
      if (stopped_) return;
      if (passthrough_ && !failed_before) passthrough_route();  // the frame it failed at, as every one after it
      emit(s.header_buf, out);
    }
    const auto piece = s.next_piece(bytes, pos, max_kept_bytes());
    emit(piece, out);
    if (!s.in_frame && !passthrough_) server_end(out);
  }
}

void ScanFramer::server_header(std::vector<ScanStep>& out) {
  Side& s = server_;
  const FrameHeader& h = s.header;
  route_ = Route::forward;
  route_stream_ = h.stream_id;
  if (passthrough_) {
    passthrough_route();
    return;
  }
  if (s.block_frame_stream != 0 && (h.type != FrameType::continuation || h.stream_id != s.block_frame_stream)) {
    fail("h2: the server interrupted a header block", out);
    return;
  }
  switch (h.type) {
    case FrameType::data:
      server_data_header(out);
      return;
    case FrameType::headers: {
      s.keep = true;
      Stream* st = find(h.stream_id);
      if (st && st->mode == Mode::hold) route_ = Route::hold_trailers;
      block_route_ = route_;
      return;
    }
    case FrameType::push_promise:
      s.keep = true;
      block_route_ = route_;
      return;
    case FrameType::continuation:  // a stray one (no block open) is the server's error: it passes
      s.keep = true;
      if (s.block_frame_stream != 0) route_ = block_route_;
      return;
    case FrameType::rst_stream: {
      Stream* st = find(h.stream_id);
      // After a complete response (RFC 9113 §8.1: NO_ERROR stops the request's upload), it follows
      // the body awaiting its verdict.
      if (st && st->mode == Mode::scanning) {
        route_ = Route::after_body;
        return;
      }
      if (st) st->server_ended = true;
      if (st && st->mode == Mode::hold) give_up(h.stream_id, *st, "stream reset by the server before the body ended", out);
      if (dropped(h.stream_id)) route_ = Route::drop;  // the client already got our reset
      if (find(h.stream_id) && find(h.stream_id)->mode != Mode::drop) erase(h.stream_id);
      return;
    }
    case FrameType::settings:
      s.keep = !h.has(flag::ack);
      return;
    case FrameType::window_update:
    case FrameType::priority:
      if (h.stream_id != 0 && dropped(h.stream_id)) route_ = Route::drop;
      return;
    default:
      return;
  }
}

void ScanFramer::passthrough_route() {
  // Unscanned now, but what was withheld stays so: a withheld or awaited stream's DATA is dropped.
  const FrameHeader& h = server_.header;
  const Stream* st = find(h.stream_id);
  route_ = Route::forward;
  if (h.type == FrameType::data && (dropped(h.stream_id) || (st && st->mode == Mode::scanning))) {
    route_ = Route::drop;
    unreturned_ += h.length;
  }
}

void ScanFramer::server_data_header(std::vector<ScanStep>& out) {
  const FrameHeader& h = server_.header;
  const std::uint32_t id = h.stream_id;
  const bool ends = h.has(flag::end_stream);
  connection_sent_ += h.length;
  Stream* s = find(id);
  // Withheld, or ended and awaiting its verdict (then DATA is the server's error): never
  // before, or instead of, the verdict.
  if (dropped(id) || (s && s->mode == Mode::scanning)) {
    route_ = Route::drop;
    unreturned_ += h.length;
    return;
  }
  if (s) s->sent += h.length;
  if (s && s->mode == Mode::hold) {
    const std::size_t frame = frame_header_bytes + h.length;
    const std::int64_t stream_window = client_initial_window_ + s->updates - s->sent;
    if (s->held.size() + frame > settings_.max_body_bytes) {
      give_up(id, *s, "body past max_bytes (" + std::to_string(settings_.max_body_bytes) + ")", out);
    } else if (held_total_ + frame > settings_.max_flow_bytes) {
      give_up(id, *s, "held bodies of the connection past " + std::to_string(settings_.max_flow_bytes) + " bytes", out);
    } else if (!ends && stream_window <= 0) {
      give_up(id, *s,
              "the client's stream window is full with " + std::to_string(s->held_flow + h.length) + " held bytes",
              out);
    }
  }
  // The server stops when the connection's window is spent, and the client returns none for held DATA.
  if (connection_window() <= 0) {
    give_up_unfinished(ends ? id : 0, "the client's connection window is full with held bytes", out);
  }
  s = find(id);
  if (s && s->mode == Mode::hold) {
    route_ = Route::hold;
    s->held_flow += h.length;
  } else if (dropped(id)) {
    route_ = Route::drop;
    unreturned_ += h.length;
  }
}

void ScanFramer::server_end(std::vector<ScanStep>& out) {
  Side& s = server_;
  const FrameHeader& h = s.header;
  switch (h.type) {
    case FrameType::data: {
      Stream* st = find(h.stream_id);
      if (!h.has(flag::end_stream) || !st) return;
      st->server_ended = true;
      if (st->mode == Mode::hold) complete(h.stream_id, *st, out);
      else if (st->mode != Mode::scanning) erase(h.stream_id);  // scanning: kept for its verdict
      return;
    }
    case FrameType::headers:
    case FrameType::push_promise:
    case FrameType::continuation: {
      if (!s.add_to_block(max_kept_bytes())) return;
      if (s.block_too_big) {
        fail("h2: a header block past max_header_bytes (" + std::to_string(settings_.limits.max_header_bytes) + ")",
             out);
        return;
      }
      auto fields = s.decoder.decode(as_octets(s.block), settings_.limits.max_header_bytes);
      s.block.clear();
      if (!fields) {
        fail("h2: a header block of the server does not decode", out);
        return;
      }
      if (!s.block_push) {
        response_block(s.block_stream, std::move(*fields), s.block_end_stream, out);
      } else if (s.block_stream % 2 == 0 && s.block_stream > highest_pushed_stream_ && streams_.size() < max_streams) {
        highest_pushed_stream_ = s.block_stream;  // a stream id is never used twice (RFC 9113 §5.1.1)
        RequestFacts facts = request_facts(*fields);
        streams_[s.block_stream].request_head = std::move(facts.head);
      }
      return;
    }
    case FrameType::settings:
      // The server's table size bounds the client's encoder.
      for (std::size_t i = 0; i + 6 <= s.payload.size(); i += 6) {
        const auto entry = as_octets(s.payload).subspan(i, 6);
        if (((entry[0] << 8) | entry[1]) == settings_header_table_size) client_.decoder.allow_table(read_u32(entry.subspan(2)));
      }
      return;
    default:
      return;
  }
}

void ScanFramer::response_block(std::uint32_t id, HeaderFields fields, bool end_stream, std::vector<ScanStep>& out) {
  Stream* s = find(id);
  if (!s) return;  // a stream the client reset (or never opened): the client discards its frames
  if (s->mode == Mode::drop) {  // a withheld stream's trailers reached the client's decoder
    forward(out, s->trailers);
    erase(id);
    return;
  }
  if (s->mode == Mode::hold) {  // trailers: the body is complete
    if (!end_stream) {
      fail("h2: trailers without END_STREAM", out);
      return;
    }
    complete(id, *s, out);
    return;
  }
  if (s->mode == Mode::scanning) return;  // the server's error after its END_STREAM: kept for the verdict
  if (s->mode != Mode::undecided) {
    if (end_stream) erase(id);
    return;
  }
  ResponseFacts facts = response_facts(fields);
  if (facts.status >= 100 && facts.status < 200) return;  // interim: the final response follows
  const auto skip = [&](const char* reason, bool ended) {
    out.push_back({ScanStepKind::skipped, id, {}, {}, {}, {}, reason});
    if (ended) erase(id);
    else s->mode = Mode::pass;
  };
  if (end_stream || facts.content_length == 0) return skip("no body", end_stream);
  if (s->connect) return skip("CONNECT tunnel", false);
  if (settings_.scans_content_type && !settings_.scans_content_type(facts.content_type)) {
    return skip("content type not scanned", false);
  }
  s->mode = Mode::hold;
  s->response_head = std::move(facts.head);
  if (facts.content_length && *facts.content_length > settings_.max_body_bytes) {
    give_up(id, *s,
            "body of " + std::to_string(*facts.content_length) + " bytes past max_bytes (" +
                std::to_string(settings_.max_body_bytes) + ")",
            out);
  }
}

void ScanFramer::complete(std::uint32_t id, Stream& s, std::vector<ScanStep>& out) {
  ScanStep step;
  step.kind = ScanStepKind::scan;
  step.stream_id = id;
  step.head = s.response_head;
  step.request_head = s.request_head;
  step.body = payload_of(s.held);
  s.mode = Mode::scanning;
  out.push_back(std::move(step));
}

std::string ScanFramer::verdict(std::uint32_t id, bool deliver) {
  Stream* s = find(id);
  if (!s || s->mode != Mode::scanning) return {};
  // The rest of a frame that follows the body, still arriving, goes (or not) the same way.
  const bool after_body_arriving = server_.in_frame && route_stream_ == id && route_ == Route::after_body;
  if (after_body_arriving) route_ = deliver && !s->client_reset ? Route::forward : Route::drop;
  std::string to_client;
  if (s->client_reset) {
    unreturned_ += s->held_flow;
    to_client = std::move(s->trailers);  // for the client's HPACK decoder; it ignores the stream
  } else if (deliver) {
    to_client = std::move(s->held);
    to_client += s->trailers;
    to_client += s->after_body;
  } else {
    // Trailers close the stream (END_STREAM): sent without it, they only reach the client's
    // HPACK decoder (a malformed message, a stream error), and the reset ends the stream.
    if (s->trailers.size() >= frame_header_bytes) s->trailers[4] = static_cast<char>(s->trailers[4] & ~flag::end_stream);
    to_client = std::move(s->trailers);
    to_client += reset_frame(id, withheld_error);
    unreturned_ += s->held_flow;
    drop(id);  // whatever a faulty server sends on it after its end never reaches the client
    return to_client;
  }
  erase(id);
  return to_client;
}

void ScanFramer::give_up(std::uint32_t id, Stream& s, std::string reason, std::vector<ScanStep>& out) {
  ScanStep step;
  step.kind = ScanStepKind::overflow;
  step.stream_id = id;
  step.reason = std::move(reason);
  if (settings_.pass_on_overflow) {
    step.bytes = std::move(s.held);
    held_total_ -= step.bytes.size();
    step.bytes += s.trailers;  // a trailer block cut short by a framing failure: the rest follows unframed
    s.held.clear();
    s.trailers.clear();
    s.held_flow = 0;
    s.mode = Mode::pass;
    if (s.server_ended) erase(id);
  } else {
    step.bytes = reset_frame(id, withheld_error);
    if (!s.server_ended) to_server_ += reset_frame(id, cancel_error);
    unreturned_ += s.held_flow;
    drop(id);
  }
  out.push_back(std::move(step));
}

void ScanFramer::drop(std::uint32_t id) {
  if (dropped_.size() >= max_dropped_streams) dropped_.erase(dropped_.begin());
  dropped_.push_back(id);
  if (route_stream_ == id && route_ == Route::hold) route_ = Route::drop;
  erase(id);
}

void ScanFramer::give_up_unfinished(std::uint32_t keep, const std::string& reason, std::vector<ScanStep>& out) {
  std::vector<std::uint32_t> ids;
  for (const auto& [id, s] : streams_) {
    if (s.mode == Mode::hold && id != keep) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  for (std::uint32_t id : ids) give_up(id, streams_.at(id), reason, out);
}

void ScanFramer::fail(const std::string& reason, std::vector<ScanStep>& out) {
  give_up_unfinished(0, reason, out);
  // A trailer block of a stream the client reset, cut short: what came of it goes on as it was.
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second.mode != Mode::drop) {
      ++it;
      continue;
    }
    forward(out, it->second.trailers);
    it = streams_.erase(it);
  }
  if (settings_.pass_on_overflow) passthrough_ = true;
  else stopped_ = true;
}

void ScanFramer::server_closed(std::vector<ScanStep>& out) {
  if (stopped_ || passthrough_) return;
  give_up_unfinished(0, "closed before the response ended", out);
}

}  // namespace tlsgate::http::h2

// HTTP/2 observer (RFC 9113): the pure frame splitter plus one nghttp2 HPACK inflater (RFC 7541)
// per direction. DATA is counted as it streams by; only header blocks are buffered, bounded.
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <memory>
#include <new>
#include <unordered_map>
#include <vector>

#include "gateway/http/exchange_builder.hpp"
#include "gateway/http/h2_frames.hpp"
#include "gateway/http/observer.hpp"

namespace tlsgate::http {

namespace {

using h2::FrameHeader;
using h2::FrameType;
namespace flag = h2::flag;
using Bytes = std::span<const std::uint8_t>;

constexpr std::size_t max_open_streams = 512;
// Control frames are small; longer ones (GOAWAY debug data, extensions) are cut, not failed.
constexpr std::size_t max_control_frame_bytes = 16 * 1024;
// A decoder may allow more dynamic table than an encoder uses, never less (RFC 7541 §4.2).
constexpr std::uint32_t max_hpack_table_bytes = 64 * 1024;
constexpr std::uint16_t settings_header_table_size = 0x1;

struct InflaterDeleter {
  void operator()(nghttp2_hd_inflater* p) const { nghttp2_hd_inflate_del(p); }
};
using Inflater = std::unique_ptr<nghttp2_hd_inflater, InflaterDeleter>;

struct Stream {
  HttpExchange exchange;
  BodyRecorder request_body, response_body;
  Clock::time_point start{};
  bool final_response = false;  // a non-1xx :status arrived
};

// Where the fields of the header block being decoded go.
enum class BlockTarget { discard, request, request_trailers, response, response_trailers };

struct Direction {
  explicit Direction(bool is_client) : client(is_client), preface_left(is_client ? h2::client_preface.size() : 0) {}

  bool client;
  std::size_t preface_left;
  h2::FrameSplitter splitter;
  Inflater inflater;
  std::vector<std::uint8_t> frame;   // the current non-DATA frame's payload
  std::uint32_t table_bytes = 4096;  // the inflater's dynamic table limit (SETTINGS_HEADER_TABLE_SIZE)
  // Header block in progress (HEADERS / PUSH_PROMISE + CONTINUATION); frame stream 0: none.
  std::uint32_t block_frame_stream = 0;  // the stream its CONTINUATION frames name
  std::uint32_t block_stream = 0;        // the stream it describes (the promised one for PUSH_PROMISE)
  BlockTarget block_target = BlockTarget::discard;
  bool block_end_stream = false;
  bool block_interim = false;  // a 1xx block: its fields are not kept
  std::size_t block_decoded = 0;
  std::uint8_t data_pad = 0;        // padding length of the current DATA frame
  Clock::time_point frame_start{};  // when the current frame began to arrive
};

class H2Observer final : public Observer {
 public:
  H2Observer(HttpLimits limits, std::string scheme)
      : limits_(limits), scheme_(std::move(scheme)), client_(true), server_(false) {
    for (Direction* d : {&client_, &server_}) {
      nghttp2_hd_inflater* p = nullptr;
      if (nghttp2_hd_inflate_new(&p) != 0) throw std::bad_alloc();
      d->inflater.reset(p);
    }
  }

  void on_client_bytes(Bytes bytes, Clock::time_point now) override { feed(client_, bytes, now); }
  void on_server_bytes(Bytes bytes, Clock::time_point now) override { feed(server_, bytes, now); }
  void on_close(Clock::time_point now) override;

 private:
  void feed(Direction& d, Bytes bytes, Clock::time_point now);
  bool on_piece(Direction& d, const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last);
  bool on_data(Direction& d, const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last);
  bool on_frame(Direction& d, const FrameHeader& h, Bytes payload);
  bool begin_block(Direction& d, const FrameHeader& h, Bytes payload);
  bool decode_block(Direction& d, Bytes fragment, bool end_headers);
  void on_field(Direction& d, std::string_view name, std::string_view value);
  void end_block(Direction& d);
  void on_settings(Direction& d, Bytes payload);
  void on_goaway(Direction& d, Bytes payload);
  void finish(std::uint32_t stream_id, std::optional<std::string> error);
  bool fail_h2(std::string text) {
    fail("h2: " + std::move(text));
    return false;
  }

  HttpLimits limits_;
  std::string scheme_;
  Direction client_, server_;
  std::unordered_map<std::uint32_t, Stream> streams_;
  Clock::time_point now_{};
  std::uint32_t highest_client_stream_ = 0, highest_pushed_stream_ = 0;
  bool closed_ = false;
};

void H2Observer::feed(Direction& d, Bytes bytes, Clock::time_point now) {
  if (failed() || closed_) return;
  now_ = now;
  if (d.preface_left > 0) {
    const std::size_t done = h2::client_preface.size() - d.preface_left;
    const std::size_t take = std::min(d.preface_left, bytes.size());
    const auto expected = h2::client_preface.substr(done, take);
    if (!std::equal(expected.begin(), expected.end(), bytes.begin())) {
      fail_h2("client connection preface missing");
      return;
    }
    d.preface_left -= take;
    bytes = bytes.subspan(take);
  }
  d.splitter.feed(bytes, [&](const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last) {
    return on_piece(d, h, offset, piece, last);
  });
}

bool H2Observer::on_piece(Direction& d, const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last) {
  if (offset == 0) {
    d.frame_start = now_;
    if (d.block_frame_stream != 0 &&
        (h.type != FrameType::continuation || h.stream_id != d.block_frame_stream)) {
      return fail_h2("header block interrupted (RFC 9113 §6.10)");
    }
    const bool header_kind = h.type == FrameType::headers || h.type == FrameType::push_promise ||
                             h.type == FrameType::continuation;
    // Huffman coding can grow a literal to ~4x; anything past that is over the limit anyway.
    if (header_kind && h.length > 4 * limits_.max_header_bytes + 1024) {
      return fail_h2("header block exceeds max_header_bytes (" + std::to_string(limits_.max_header_bytes) +
                     ")");
    }
    d.frame.clear();
  }
  if (h.type == FrameType::data) return on_data(d, h, offset, piece, last);
  const std::size_t room =
      std::max<std::size_t>(4 * limits_.max_header_bytes + 1024, max_control_frame_bytes);
  const std::size_t keep = std::min(piece.size(), room - std::min(room, d.frame.size()));
  d.frame.insert(d.frame.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(keep));
  return !last || on_frame(d, h, d.frame);
}

bool H2Observer::on_data(Direction& d, const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last) {
  std::size_t begin = 0;  // payload range holding data: [1, length - pad) when padded
  if (h.has(flag::padded)) {
    if (h.length == 0) return fail_h2("padded DATA frame without a pad length");
    if (offset == 0) {
      d.data_pad = piece[0];
      if (d.data_pad >= h.length) return fail_h2("DATA padding exceeds the frame");
    }
    begin = 1;
  } else {
    d.data_pad = 0;
  }
  const std::size_t end = h.length - d.data_pad;
  const std::size_t from = std::max<std::size_t>(offset, begin);
  const std::size_t to = std::min<std::size_t>(offset + piece.size(), end);
  auto it = streams_.find(h.stream_id);
  if (it == streams_.end()) return true;  // a stream we do not track (reset, or never seen)
  Stream& s = it->second;
  if (from < to) {
    const std::string_view data(reinterpret_cast<const char*>(piece.data()) + (from - offset), to - from);
    (d.client ? s.request_body : s.response_body).add(data, limits_.body_capture_bytes);
  }
  if (last && h.has(flag::end_stream) && !d.client) finish(h.stream_id, std::nullopt);
  return true;
}

bool H2Observer::on_frame(Direction& d, const FrameHeader& h, Bytes payload) {
  switch (h.type) {
    case FrameType::headers:
    case FrameType::push_promise:
      return begin_block(d, h, payload);
    case FrameType::continuation:
      if (d.block_frame_stream == 0) return fail_h2("CONTINUATION without a header block");
      return decode_block(d, payload, h.has(flag::end_headers));
    case FrameType::rst_stream:
      if (payload.size() < 4) return fail_h2("short RST_STREAM frame");
      if (streams_.contains(h.stream_id)) {
        finish(h.stream_id,
               std::string("stream reset (") + nghttp2_http2_strerror(h2::read_u32(payload)) + ")");
      }
      return true;
    case FrameType::settings:
      if (!h.has(flag::ack)) on_settings(d, payload);
      return true;
    case FrameType::goaway:
      if (payload.size() < 8) return fail_h2("short GOAWAY frame");
      on_goaway(d, payload);
      return true;
    default:  // PRIORITY, PING, WINDOW_UPDATE and extensions carry nothing we log
      return true;
  }
}

bool H2Observer::begin_block(Direction& d, const FrameHeader& h, Bytes payload) {
  std::size_t skip = 0, pad = 0;
  if (h.has(flag::padded)) {
    if (payload.empty()) return fail_h2("padded frame without a pad length");
    pad = payload[0];
    skip = 1;
  }
  std::uint32_t stream_id = h.stream_id;
  if (h.type == FrameType::push_promise) {
    if (payload.size() < skip + 4) return fail_h2("short PUSH_PROMISE frame");
    stream_id = h2::read_u32(payload.subspan(skip)) & 0x7fffffffu;  // the promised stream
    skip += 4;
  } else if (h.has(flag::priority)) {
    skip += 5;
  }
  if (skip + pad > payload.size()) return fail_h2("frame padding exceeds the frame");
  if (h.stream_id == 0) return fail_h2("header block on stream 0");

  d.block_frame_stream = h.stream_id;
  d.block_stream = stream_id;
  d.block_end_stream = h.type == FrameType::headers && h.has(flag::end_stream);
  d.block_interim = false;
  d.block_decoded = 0;
  d.block_target = BlockTarget::discard;
  auto it = streams_.find(stream_id);
  if (d.client || h.type == FrameType::push_promise) {
    // A new stream only above the highest one seen: a finished stream's late trailers open nothing.
    std::uint32_t& highest = stream_id % 2 == 1 ? highest_client_stream_ : highest_pushed_stream_;
    if (it == streams_.end() && stream_id > highest) {
      highest = stream_id;
      if (streams_.size() >= max_open_streams) {
        return fail_h2("more than " + std::to_string(max_open_streams) + " open streams");
      }
      Stream& s = streams_[stream_id];
      s.start = d.frame_start;
      s.exchange.http_version = "2";
      s.exchange.scheme = scheme_;
      s.exchange.stream_id = stream_id;
      d.block_target = BlockTarget::request;
    } else if (it != streams_.end() && d.client) {
      d.block_target = BlockTarget::request_trailers;
    }
  } else if (it != streams_.end()) {
    Stream& s = it->second;
    if (!s.exchange.ms_to_first_byte) s.exchange.ms_to_first_byte = ms_between(s.start, d.frame_start);
    d.block_target = s.final_response ? BlockTarget::response_trailers : BlockTarget::response;
  }
  return decode_block(d, payload.subspan(skip, payload.size() - skip - pad), h.has(flag::end_headers));
}

bool H2Observer::decode_block(Direction& d, Bytes fragment, bool end_headers) {
  const std::uint8_t* in = fragment.data();
  std::size_t left = fragment.size();
  for (;;) {
    nghttp2_nv nv;
    int inflate_flags = 0;
    const auto used =
        nghttp2_hd_inflate_hd2(d.inflater.get(), &nv, &inflate_flags, in, left, end_headers ? 1 : 0);
    if (used < 0) return fail_h2(std::string("HPACK: ") + nghttp2_strerror(static_cast<int>(used)));
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
      d.block_decoded += nv.namelen + nv.valuelen + 32;  // RFC 7541 §4.1 entry size
      if (d.block_decoded > limits_.max_header_bytes) {
        return fail_h2("header block exceeds max_header_bytes (" + std::to_string(limits_.max_header_bytes) +
                       ")");
      }
      on_field(d, {reinterpret_cast<const char*>(nv.name), nv.namelen},
               {reinterpret_cast<const char*>(nv.value), nv.valuelen});
    }
    if ((inflate_flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(d.inflater.get());
      end_block(d);
      return true;
    }
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) return true;
  }
}

void H2Observer::on_field(Direction& d, std::string_view name, std::string_view value) {
  if (d.block_target == BlockTarget::discard || d.block_interim) return;
  auto it = streams_.find(d.block_stream);
  if (it == streams_.end()) return;
  HttpExchange& e = it->second.exchange;
  const bool request =
      d.block_target == BlockTarget::request || d.block_target == BlockTarget::request_trailers;
  if (!name.empty() && name[0] == ':') {
    if (d.block_target == BlockTarget::request) {
      if (name == ":method") e.method = json_safe(value);
      if (name == ":path") e.path = json_safe(value);
      if (name == ":authority") e.authority = json_safe(value);
    } else if (d.block_target == BlockTarget::response && name == ":status") {
      int code = 0;
      for (char c : value.substr(0, 3)) code = code * 10 + (c >= '0' && c <= '9' ? c - '0' : 0);
      d.block_interim = code >= 100 && code < 200;
      if (!d.block_interim) e.status = code;
    }
    return;  // other pseudo-headers (:scheme, :protocol) are not logged
  }
  if (request && name == "host" && e.authority.empty()) e.authority = json_safe(value);
  const auto error =
      request ? add_header(e.request_headers, e.header_bytes, e.request_content_type, name, value, limits_)
              : add_header(e.response_headers, e.header_bytes, e.response_content_type, name, value, limits_);
  if (error) fail_h2(*error);
}

void H2Observer::end_block(Direction& d) {
  const std::uint32_t id = d.block_stream;
  const BlockTarget target = d.block_target;
  const bool end_stream = d.block_end_stream;
  const bool interim = d.block_interim;
  d.block_frame_stream = 0;
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  if (target == BlockTarget::response && !interim) it->second.final_response = true;
  if (end_stream && !d.client) finish(id, std::nullopt);
}

void H2Observer::on_settings(Direction& d, Bytes payload) {
  for (std::size_t i = 0; i + 6 <= payload.size(); i += 6) {
    const auto id = static_cast<std::uint16_t>((payload[i] << 8) | payload[i + 1]);
    if (id != settings_header_table_size) continue;
    // The client's setting bounds the server's encoder, so it widens the server-side inflater.
    Direction& peer = d.client ? server_ : client_;
    const std::uint32_t size = std::min(h2::read_u32(payload.subspan(i + 2)), max_hpack_table_bytes);
    if (size > peer.table_bytes && nghttp2_hd_inflate_change_table_size(peer.inflater.get(), size) == 0) {
      peer.table_bytes = size;
    }
  }
}

void H2Observer::on_goaway(Direction& d, Bytes payload) {
  const std::uint32_t last = h2::read_u32(payload) & 0x7fffffffu;
  const std::string error =
      std::string("connection going away (") + nghttp2_http2_strerror(h2::read_u32(payload.subspan(4))) + ")";
  // The sender processed nothing its peer opened above `last` (RFC 9113 §6.8).
  std::vector<std::uint32_t> dropped;
  for (const auto& [id, s] : streams_) {
    const bool peer_opened = (id % 2 == 1) == !d.client;
    if (peer_opened && id > last) dropped.push_back(id);
  }
  std::sort(dropped.begin(), dropped.end());
  for (std::uint32_t id : dropped) finish(id, error);
}

void H2Observer::finish(std::uint32_t stream_id, std::optional<std::string> error) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  HttpExchange& e = s.exchange;
  e.request_body_bytes = s.request_body.bytes;
  e.request_body_b64 = s.request_body.capture(limits_.body_capture_bytes);
  e.response_body_bytes = s.response_body.bytes;
  e.response_body_b64 = s.response_body.capture(limits_.body_capture_bytes);
  if (!error) e.ms_to_end = ms_between(s.start, now_);
  e.error = std::move(error);
  complete(std::move(e));
  streams_.erase(it);
}

void H2Observer::on_close(Clock::time_point now) {
  if (failed() || closed_) return;
  closed_ = true;
  now_ = now;
  std::vector<std::uint32_t> open;
  for (const auto& [id, s] : streams_) open.push_back(id);
  std::sort(open.begin(), open.end());
  for (std::uint32_t id : open) {
    const bool started = streams_[id].exchange.ms_to_first_byte.has_value();
    finish(id, started ? "connection closed before response end" : "connection closed before response");
  }
}

}  // namespace

std::unique_ptr<Observer> make_h2_observer(HttpLimits limits, std::string scheme) {
  return std::make_unique<H2Observer>(limits, std::move(scheme));
}

}  // namespace tlsgate::http

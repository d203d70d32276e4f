// HTTP/2 request gate (RFC 9113): the client's frames pass in order, DATA piece by piece; only a
// header block is held, HPACK-decoded (RFC 7541) and, when it opens a stream, decided before any
// of it moves. Answered streams get the gate's own response, put between the server's frames.
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <new>
#include <set>
#include <unordered_set>
#include <vector>

#include "gateway/http/h2_answer.hpp"
#include "gateway/http/h2_frame_writer.hpp"
#include "gateway/http/h2_frames.hpp"
#include "gateway/http/h2_header_edit.hpp"
#include "gateway/http/h2_server_frames.hpp"
#include "gateway/http/hpack_reencoder.hpp"
#include "gateway/http/request_gate.hpp"

namespace tlsgate::http {

namespace {

using h2::FrameHeader;
using h2::FrameType;
namespace flag = h2::flag;
using Bytes = std::span<const std::uint8_t>;

// Streams the client has open towards the upstream; an honest client stays under the server's
// SETTINGS_MAX_CONCURRENT_STREAMS, far below this.
constexpr std::size_t max_open_streams = 4096;
// Answered streams whose client side may still send; past this the oldest are forgotten (their
// DATA is still dropped: only streams the upstream opened get DATA through).
constexpr std::size_t max_answered_streams = 256;
// A decoder may allow more dynamic table than an encoder uses, never less (RFC 7541 §4.2).
constexpr std::uint32_t max_hpack_table_bytes = 64 * 1024;
constexpr std::uint16_t settings_initial_window_size = 0x4;
constexpr std::uint32_t default_initial_window = 65535;

struct InflaterDeleter {
  void operator()(nghttp2_hd_inflater* p) const { nghttp2_hd_inflate_del(p); }
};

// What the held header block is, from its stream.
enum class BlockKind { request, trailers, dropped };

// The pseudo-header fields and Host of a request block; a second one of any is malformed.
// Cleared, not destroyed, between blocks: the strings keep their capacity for the next request.
struct HeadFields {
  struct Field {
    std::string value;
    bool present = false;
  };
  Field method, scheme, authority, path, protocol, host;
  bool duplicate = false;

  void set(Field& slot, std::string_view value) {
    if (slot.present) duplicate = true;
    slot.value.assign(value);
    slot.present = true;
  }
  void clear() {
    for (Field* f : {&method, &scheme, &authority, &path, &protocol, &host}) f->present = false;
    duplicate = false;
  }
};

void copy_field(const HeadFields::Field& field, std::string& out) {
  if (field.present) {
    out.assign(field.value);
  } else {
    out.clear();
  }
}

void copy_field(const HeadFields::Field& field, std::optional<std::string>& out) {
  if (!field.present) {
    out.reset();
  } else if (out) {
    out->assign(field.value);
  } else {
    out.emplace(field.value);
  }
}

bool same_host(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) ==
                                                std::tolower(static_cast<unsigned char>(y)); });
}

class H2RequestGate final : public RequestGate {
 public:
  H2RequestGate(GateSettings settings, DecideRequest decide)
      : settings_(std::move(settings)), decide_(std::move(decide)),
        upstream_open_(!settings_.first_request_opens_upstream) {
    nghttp2_hd_inflater* p = nullptr;
    if (nghttp2_hd_inflate_new(&p) != 0) throw std::bad_alloc();
    inflater_.reset(p);
  }

  ClientStep from_client(Bytes bytes) override;
  ServerStep from_server(Bytes bytes) override;
  std::string take_to_client() override;
  bool holds_to_client() const override {
    return mode_ != Mode::closed && (!to_client_.empty() || window_refund_ > 0);
  }
  std::string_view version() const override { return "2"; }

 private:
  enum class Mode { parsing, unparsed, closed };
  enum class Fate { forward, drop, hold };

  bool take_preface(Bytes& bytes);
  bool on_piece(const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last);
  bool begin_frame(const FrameHeader& h, Bytes piece);
  bool begin_data(const FrameHeader& h, Bytes piece);
  Fate stream_frame_fate(const FrameHeader& h);
  bool on_held_frame(const FrameHeader& h);
  bool on_headers(const FrameHeader& h, Bytes payload);
  bool decode_fragment(Bytes fragment, bool end_headers);
  bool on_field(const nghttp2_nv& nv);
  bool end_block();
  bool forward_block();
  void answer(const RequestAnswer& answer);
  void on_settings(Bytes payload);
  void on_window_update(const FrameHeader& h);
  void finish_error(ClientStep& step, const std::uint8_t* chunk_end);
  void open_upstream_or_answer(ClientStep& step);
  static std::string own_settings();
  std::string flush_to_client();
  bool fail(std::string text) {
    error_ = "h2: " + std::move(text);
    return false;
  }

  GateSettings settings_;
  DecideRequest decide_;
  Mode mode_ = Mode::parsing;
  std::optional<std::string> error_;
  std::string* out_ = nullptr;             // to_server of the step in progress
  bool upstream_open_;                     // false: an HTTP port before its first allowed request
  bool forwarded_request_ = false;
  std::string early_;                      // what goes up with the first allowed request
  const std::uint8_t* consumed_ = nullptr;  // chunk bytes up to here are forwarded, dropped or held

  // Client side.
  std::string preface_;
  h2::FrameSplitter splitter_;
  Fate fate_ = Fate::forward;
  std::string frame_;  // the current frame's bytes not yet forwarded (header + held payload)
  std::unique_ptr<nghttp2_hd_inflater, InflaterDeleter> inflater_;
  std::uint32_t inflater_table_bytes_ = 4096;
  // The header block in progress: frames before the current one, what it is, what it says.
  bool block_open_ = false;
  std::string block_raw_;
  std::uint32_t block_stream_ = 0;
  BlockKind block_kind_ = BlockKind::dropped;
  bool block_end_stream_ = false;
  std::string block_priority_;  // the HEADERS' 5 priority bytes, if any
  std::size_t block_bytes_ = 0, block_fields_ = 0;
  HeadFields head_;
  RequestHead request_;  // the head decided last; reused like head_
  std::vector<HeaderField> fields_;  // kept when the block may be re-encoded (a request's may be edited)

  std::uint32_t last_client_stream_ = 0;  // the highest stream a client HEADERS opened
  std::uint32_t highest_forwarded_ = 0;   // the highest stream the upstream saw opened
  std::unordered_set<std::uint32_t> open_;  // forwarded, the client's side not ended
  std::set<std::uint32_t> answered_;        // answered by the gate, the client's side not ended
  bool reencoding_ = false;  // a block was dropped or changed: from then on client blocks are re-encoded
  std::unique_ptr<HpackReencoder> reencoder_;
  std::uint32_t client_initial_window_ = default_initial_window;
  std::uint64_t window_debt_ = 0;  // injected DATA bytes the client's WINDOW_UPDATEs will credit

  // Server side.
  h2::ServerFrames server_;
  std::uint32_t server_table_bytes_ = 4096;
  std::uint32_t server_max_frame_ = h2::default_max_frame_bytes;
  std::string to_client_;         // the gate's frames waiting for a server frame boundary
  std::uint64_t window_refund_ = 0;  // dropped DATA bytes to give back to the client
};

ClientStep H2RequestGate::from_client(Bytes bytes) {
  ClientStep step;
  if (mode_ == Mode::unparsed) step.to_server.assign(bytes.begin(), bytes.end());
  if (mode_ != Mode::parsing) return step;
  // Before the upstream is open (an HTTP port), what would go up waits in early_.
  out_ = upstream_open_ ? &step.to_server : &early_;
  consumed_ = bytes.data();
  const std::uint8_t* const end = bytes.data() + bytes.size();
  bool ok = take_preface(bytes) &&
            splitter_.feed(bytes, [this](const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last) {
              return on_piece(h, offset, piece, last);
            });
  if (ok && !upstream_open_ && early_.size() > settings_.limits.max_header_bytes)
    ok = fail("more than http_max_header_bytes before the first request");
  if (!ok && error_) finish_error(step, end);
  out_ = nullptr;
  if (!upstream_open_ && mode_ == Mode::parsing) open_upstream_or_answer(step);
  return step;
}

// An HTTP port: the first allowed request opens the upstream and takes what
// waited with it; a first request the gate answered ends the connection with
// the gate as the only server the client ever spoke to.
void H2RequestGate::open_upstream_or_answer(ClientStep& step) {
  if (forwarded_request_) {
    upstream_open_ = true;
    step.to_server = std::exchange(early_, {});
    return;
  }
  if (to_client_.empty()) return;
  mode_ = Mode::closed;
  step.close = true;
  step.to_client = own_settings() + flush_to_client();
  h2::append_goaway(step.to_client, 0, h2::error_code::no_error);
  early_.clear();
}

std::string H2RequestGate::own_settings() {
  std::string out;
  h2::append_frame_header(out, 0, FrameType::settings, 0, 0);
  return out;
}

// RFC 9113 §3.4: held until complete, so a non-h2 client sends nothing upstream as h2.
bool H2RequestGate::take_preface(Bytes& bytes) {
  if (preface_.size() == h2::client_preface.size()) return true;
  const std::size_t take = std::min(h2::client_preface.size() - preface_.size(), bytes.size());
  preface_.append(reinterpret_cast<const char*>(bytes.data()), take);
  consumed_ = bytes.data() + take;
  bytes = bytes.subspan(take);
  if (!h2::client_preface.starts_with(preface_)) {
    frame_ = preface_;
    return fail("client connection preface missing");
  }
  if (preface_.size() == h2::client_preface.size()) out_->append(preface_);
  return true;
}

bool H2RequestGate::on_piece(const FrameHeader& h, std::uint32_t offset, Bytes piece, bool last) {
  if (offset == 0 && !begin_frame(h, piece)) return false;
  if (fate_ == Fate::forward) out_->append(reinterpret_cast<const char*>(piece.data()), piece.size());
  if (fate_ == Fate::hold) frame_.append(reinterpret_cast<const char*>(piece.data()), piece.size());
  consumed_ = piece.data() + piece.size();
  return !last || fate_ != Fate::hold || on_held_frame(h);
}

// Decides what becomes of a frame from its header (and a DATA frame's pad length).
bool H2RequestGate::begin_frame(const FrameHeader& h, Bytes piece) {
  frame_.clear();
  h2::append_frame_header(frame_, h.length, h.type, h.flags, h.stream_id);
  consumed_ = piece.data();
  if (block_open_ && (h.type != FrameType::continuation || h.stream_id != block_stream_)) {
    return fail("header block interrupted (RFC 9113 §6.10)");
  }
  if (h.length > server_max_frame_) return fail("frame larger than SETTINGS_MAX_FRAME_SIZE");
  fate_ = Fate::hold;
  switch (h.type) {
    case FrameType::data:
      return begin_data(h, piece);
    case FrameType::headers:
      if (h.stream_id == 0 || h.stream_id % 2 == 0) return fail("HEADERS on a stream the client cannot open");
      [[fallthrough]];
    case FrameType::continuation:
      if (h.type == FrameType::continuation && !block_open_) return fail("CONTINUATION without a header block");
      if (block_raw_.size() + h2::frame_header_bytes + h.length > settings_.limits.max_header_bytes) {
        return fail("header block exceeds max_header_bytes (" + std::to_string(settings_.limits.max_header_bytes) +
                    ")");
      }
      return true;
    case FrameType::settings:
      if (h.stream_id != 0 || h.length % 6 != 0 || (h.has(flag::ack) && h.length != 0)) {
        return fail("malformed SETTINGS frame");
      }
      return true;
    case FrameType::window_update:
      if (h.length != 4) return fail("malformed WINDOW_UPDATE frame");
      return true;
    case FrameType::push_promise:
      return fail("PUSH_PROMISE from the client");
    default:
      fate_ = stream_frame_fate(h);
      if (fate_ == Fate::forward) out_->append(frame_);
      frame_.clear();
      return true;
  }
}

// DATA moves only on streams the upstream opened; dropped DATA's flow-control credit goes back
// to the client, which spent it on bytes the upstream never counted.
bool H2RequestGate::begin_data(const FrameHeader& h, Bytes piece) {
  if (h.stream_id == 0) return fail("DATA on stream 0");
  if (h.has(flag::padded) && (h.length == 0 || piece[0] >= h.length)) return fail("DATA padding exceeds the frame");
  const bool open = open_.contains(h.stream_id);
  if (h.has(flag::end_stream)) {
    open_.erase(h.stream_id);
    answered_.erase(h.stream_id);
  }
  if (open) {
    fate_ = Fate::forward;
    out_->append(frame_);
  } else {
    fate_ = Fate::drop;
    window_refund_ += h.length;
  }
  frame_.clear();
  return true;
}

// PRIORITY, RST_STREAM, WINDOW_UPDATE, PING, GOAWAY and extension frames.
H2RequestGate::Fate H2RequestGate::stream_frame_fate(const FrameHeader& h) {
  const std::uint32_t id = h.stream_id;
  if (id == 0) return Fate::forward;
  if (h.type == FrameType::rst_stream) open_.erase(id);
  if (answered_.contains(id)) {
    if (h.type == FrameType::rst_stream) answered_.erase(id);
    return Fate::drop;
  }
  // A client stream the upstream never saw opened: one the gate answered or forgot, or one
  // still idle, which only PRIORITY may name (RFC 9113 §5.1).
  const bool idle = id > last_client_stream_;
  if (id % 2 == 1 && id > highest_forwarded_ && !(idle && h.type == FrameType::priority)) return Fate::drop;
  return Fate::forward;
}

bool H2RequestGate::on_held_frame(const FrameHeader& h) {
  const Bytes payload(reinterpret_cast<const std::uint8_t*>(frame_.data()) + h2::frame_header_bytes,
                      frame_.size() - h2::frame_header_bytes);
  switch (h.type) {
    case FrameType::headers:
      return on_headers(h, payload);
    case FrameType::continuation:
      block_raw_.append(frame_);
      frame_.clear();
      return decode_fragment(
          {reinterpret_cast<const std::uint8_t*>(block_raw_.data()) + block_raw_.size() - h.length, h.length},
          h.has(flag::end_headers));
    case FrameType::settings:
      if (!h.has(flag::ack)) on_settings(payload);
      out_->append(frame_);
      break;
    default:  // WINDOW_UPDATE
      on_window_update(h);
      break;
  }
  frame_.clear();
  return true;
}

bool H2RequestGate::on_headers(const FrameHeader& h, Bytes payload) {
  std::size_t skip = 0, pad = 0;
  if (h.has(flag::padded)) {
    if (payload.empty()) return fail("padded HEADERS without a pad length");
    pad = payload[0];
    skip = 1;
  }
  block_priority_.clear();
  if (h.has(flag::priority)) {
    if (payload.size() < skip + 5) return fail("short HEADERS priority fields");
    block_priority_.assign(reinterpret_cast<const char*>(payload.data()) + skip, 5);
    skip += 5;
  }
  if (skip + pad > payload.size()) return fail("HEADERS padding exceeds the frame");
  const std::uint32_t id = h.stream_id;
  block_open_ = true;
  block_stream_ = id;
  block_end_stream_ = h.has(flag::end_stream);
  block_bytes_ = block_fields_ = 0;
  head_.clear();
  fields_.clear();
  if (id > last_client_stream_) {
    last_client_stream_ = id;
    block_kind_ = BlockKind::request;
  } else {
    // Trailers of a forwarded stream pass; anything else on an old stream stays with the gate.
    block_kind_ = open_.contains(id) ? BlockKind::trailers : BlockKind::dropped;
  }
  block_raw_ = std::move(frame_);
  frame_.clear();
  const std::size_t at = h2::frame_header_bytes + skip;
  return decode_fragment({reinterpret_cast<const std::uint8_t*>(block_raw_.data()) + at, payload.size() - skip - pad},
                         h.has(flag::end_headers));
}

bool H2RequestGate::decode_fragment(Bytes fragment, bool end_headers) {
  const std::uint8_t* in = fragment.data();
  std::size_t left = fragment.size();
  for (;;) {
    nghttp2_nv nv;
    int inflate_flags = 0;
    const auto used = nghttp2_hd_inflate_hd2(inflater_.get(), &nv, &inflate_flags, in, left, end_headers ? 1 : 0);
    if (used < 0) return fail(std::string("HPACK: ") + nghttp2_strerror(static_cast<int>(used)));
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) != 0 && !on_field(nv)) return false;
    if ((inflate_flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(inflater_.get());
      return end_block();
    }
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) {
      if (end_headers) return fail("HPACK: header block ends inside a field");
      return true;
    }
  }
}

bool H2RequestGate::on_field(const nghttp2_nv& nv) {
  const std::string_view name(reinterpret_cast<const char*>(nv.name), nv.namelen);
  const std::string_view value(reinterpret_cast<const char*>(nv.value), nv.valuelen);
  block_bytes_ += name.size() + value.size();
  if (block_bytes_ > settings_.limits.max_header_bytes) {
    return fail("header block exceeds max_header_bytes (" + std::to_string(settings_.limits.max_header_bytes) + ")");
  }
  if (++block_fields_ > settings_.limits.max_header_fields) {
    return fail("header block exceeds max_header_fields (" + std::to_string(settings_.limits.max_header_fields) +
                ")");
  }
  if (block_kind_ == BlockKind::request || (reencoding_ && block_kind_ == BlockKind::trailers)) {
    fields_.push_back({std::string(name), std::string(value), (nv.flags & NGHTTP2_NV_FLAG_NO_INDEX) != 0});
  }
  if (block_kind_ != BlockKind::request) return true;
  if (name == "host") head_.set(head_.host, value);
  if (!name.starts_with(':')) return true;
  if (name == ":method") head_.set(head_.method, value);
  if (name == ":scheme") head_.set(head_.scheme, value);
  if (name == ":authority") head_.set(head_.authority, value);
  if (name == ":path") head_.set(head_.path, value);
  if (name == ":protocol") head_.set(head_.protocol, value);
  return true;
}

bool H2RequestGate::end_block() {
  block_open_ = false;
  const std::uint32_t id = block_stream_;
  bool ok = true;
  if (block_kind_ == BlockKind::request) {
    // Two names for the host would let the policy read one and the upstream the other.
    if (head_.duplicate) return fail("request repeats a pseudo-header or Host");
    if (head_.authority.present && head_.host.present && !same_host(head_.authority.value, head_.host.value)) {
      return fail(":authority and Host differ");
    }
    RequestHead& head = request_;
    head.version = "2";
    copy_field(head_.method, head.method);
    copy_field(head_.scheme, head.scheme);
    copy_field(head_.authority.present ? head_.authority : head_.host, head.authority);
    copy_field(head_.path, head.path);
    head.stream_id = id;
    copy_field(head_.protocol, head.upgrade);
    if (!block_end_stream_ && open_.size() >= max_open_streams) {
      return fail("more than " + std::to_string(max_open_streams) + " open streams");
    }
    const RequestAnswer verdict = decide_(head);
    if (verdict.action == RequestAction::forward) {
      // An edited block is the first the gate's own encoder writes, if none was before.
      if (h2::apply_header_edits(fields_, verdict.header_edits)) reencoding_ = true;
      ok = forward_block();
      highest_forwarded_ = id;
      if (!block_end_stream_) open_.insert(id);
    } else {
      answer(verdict);
    }
  } else if (block_kind_ == BlockKind::trailers) {
    ok = forward_block();
    if (block_end_stream_) open_.erase(id);
  } else {
    reencoding_ = true;
    if (block_end_stream_) answered_.erase(id);
  }
  block_raw_.clear();
  fields_.clear();
  return ok;
}

// Unchanged bytes until a block was dropped or changed; from then on the gate's own encoding,
// in frames of at most 16384 bytes, which every server accepts (RFC 9113 §4.2). HEADERS and
// CONTINUATION are not flow-controlled: a block of another length changes no window.
bool H2RequestGate::forward_block() {
  forwarded_request_ = true;
  if (!reencoding_) {
    out_->append(block_raw_);
    return true;
  }
  if (!reencoder_) reencoder_ = std::make_unique<HpackReencoder>(server_table_bytes_);
  std::string block;
  if (!reencoder_->encode(fields_, block)) return fail("HPACK: re-encoding failed");
  std::uint8_t flags = block_end_stream_ ? flag::end_stream : 0;
  if (!block_priority_.empty()) flags |= flag::priority;
  h2::append_header_block(*out_, block_stream_, flags, block_priority_, block);
  return true;
}

void H2RequestGate::answer(const RequestAnswer& verdict) {
  reencoding_ = true;
  h2::AnswerFrames frames = h2::answer_frames(block_stream_, verdict, client_initial_window_, block_end_stream_);
  to_client_.append(frames.frames);
  window_debt_ += frames.data_bytes;
  if (block_end_stream_) return;
  answered_.insert(block_stream_);
  if (answered_.size() > max_answered_streams) answered_.erase(answered_.begin());
}

void H2RequestGate::on_settings(Bytes payload) {
  for (std::size_t i = 0; i + 6 <= payload.size(); i += 6) {
    const auto id = static_cast<std::uint16_t>((payload[i] << 8) | payload[i + 1]);
    const std::uint32_t value = h2::read_u32(payload.subspan(i + 2));
    if (id == settings_initial_window_size && value <= 0x7fffffffu) client_initial_window_ = value;
  }
}

// The gate's DATA used the client's connection window as if the server had sent it: the
// client's credit for it is not the upstream's to get.
void H2RequestGate::on_window_update(const FrameHeader& h) {
  if (h.stream_id != 0) {
    if (stream_frame_fate(h) == Fate::forward) out_->append(frame_);
    return;
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(frame_.data()) + h2::frame_header_bytes;
  std::uint32_t increment = h2::read_u32({p, 4}) & 0x7fffffffu;
  const auto paid = static_cast<std::uint32_t>(std::min<std::uint64_t>(window_debt_, increment));
  if (paid == 0) {
    out_->append(frame_);
    return;
  }
  window_debt_ -= paid;
  increment -= paid;
  if (increment > 0) h2::append_window_update(*out_, 0, increment);
}

void H2RequestGate::finish_error(ClientStep& step, const std::uint8_t* chunk_end) {
  step.error = error_;
  if (settings_.relay_unparsed_on_error && !reencoding_) {
    mode_ = Mode::unparsed;
    if (!upstream_open_) {
      upstream_open_ = true;
      step.to_server = std::exchange(early_, {});
    }
    step.to_server.append(block_raw_).append(frame_).append(consumed_, chunk_end);
  } else {
    mode_ = Mode::closed;
    step.close = true;
    if (!upstream_open_) {  // the gate is the only server this client spoke to
      step.to_client = own_settings() + flush_to_client();
      h2::append_goaway(step.to_client, 0, h2::error_code::protocol_error);
      early_.clear();
    } else if (server_.at_boundary()) {
      step.to_client = flush_to_client();
      h2::append_goaway(step.to_client, highest_forwarded_, h2::error_code::protocol_error);
    }
  }
  block_raw_.clear();
  frame_.clear();
  to_client_.clear();
}

ServerStep H2RequestGate::from_server(Bytes bytes) {
  ServerStep step;
  h2::ServerFacts facts;
  bool injected = false;
  std::size_t used = 0;
  const bool pending = mode_ != Mode::closed && (!to_client_.empty() || window_refund_ > 0);
  for (;;) {
    if (pending && !injected && server_.at_boundary()) {
      step.split = used;
      step.inject = flush_to_client();
      injected = true;
    }
    if (used == bytes.size()) break;
    used += server_.feed(bytes.subspan(used), pending && !injected, facts);
  }
  if (facts.header_table_size) {
    server_table_bytes_ = *facts.header_table_size;
    // The server's setting bounds the client's encoder; the inflater only ever widens to follow it.
    const std::uint32_t size = std::min(server_table_bytes_, max_hpack_table_bytes);
    if (size > inflater_table_bytes_ && nghttp2_hd_inflate_change_table_size(inflater_.get(), size) == 0) {
      inflater_table_bytes_ = size;
    }
    if (reencoder_) reencoder_->set_peer_table_bytes(server_table_bytes_);
  }
  if (facts.max_frame_size) server_max_frame_ = *facts.max_frame_size;
  for (std::uint32_t id : facts.reset_streams) open_.erase(id);
  return step;
}

std::string H2RequestGate::take_to_client() {
  if (mode_ == Mode::closed || !server_.at_boundary()) return {};
  return flush_to_client();
}

std::string H2RequestGate::flush_to_client() {
  std::string out = std::move(to_client_);
  to_client_.clear();
  h2::append_window_update(out, 0, window_refund_);
  window_refund_ = 0;
  return out;
}

}  // namespace

std::unique_ptr<RequestGate> make_h2_request_gate(GateSettings settings, DecideRequest decide) {
  return std::make_unique<H2RequestGate>(std::move(settings), std::move(decide));
}

}  // namespace tlsgate::http

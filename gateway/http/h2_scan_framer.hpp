#pragma once
// Holds the server's HTTP/2 DATA frames of each scanned response until its content scan's
// verdict (RFC 9113). Every other frame passes at once and in order: header blocks must reach
// the client's HPACK decoder in the order the server encoded them, so only DATA is ever held.
// The fields scanning needs (each response's :status, content-type, content-length; its
// request's :method, :path, :authority) come from the framer's own HPACK decoders, one per
// direction, fed the bytes each side sent.
//
// Flow control (RFC 9113 §6.9): the client sees no held DATA, so it returns no window for it.
// When the server's window for a held, unfinished body (its stream's, or the connection's, as
// the client's SETTINGS_INITIAL_WINDOW_SIZE and WINDOW_UPDATEs opened them) reaches zero, the
// server could never finish it: that stream is given up (no verdict, as past max_bytes).
//
// A withheld stream (infected, or no verdict under on_error block) gets RST_STREAM
// INTERNAL_ERROR toward the client, and, if the server had not ended it, RST_STREAM CANCEL
// toward the server; its DATA that the client never got (held, or arriving after) is returned to
// the server's connection window with WINDOW_UPDATE on stream 0, as the client would have.
// Those frames for the server go where the client's bytes end a frame (to_server_ready()).
//
// Pure. Memory: the held DATA frames (max_body_bytes per stream, max_flow_bytes in all), one
// header block per direction (bounded by max_header_bytes), the open streams' request heads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/http/exchange.hpp"
#include "gateway/http/h2_frame_reader.hpp"
#include "gateway/http/h2_frames.hpp"
#include "gateway/http/h2_scan_heads.hpp"

namespace tlsgate::http::h2 {

struct ScanFramerSettings {
  std::size_t max_body_bytes = 10u << 20;  // one stream's held DATA frames, as sent (headers included)
  std::size_t max_flow_bytes = 10u << 20;  // the held DATA frames of all streams together
  // No verdict possible: the stream's body passes unscanned (true), or the stream is reset (false).
  bool pass_on_overflow = false;
  HttpLimits limits;  // max_header_bytes of a decoded header block
  // Whether a response with this content-type value ("" when it has none) is scanned.
  std::function<bool(std::string_view content_type)> scans_content_type;
};

enum class ScanStepKind {
  forward,   // `bytes`: to the client now
  skipped,   // a final response whose body is not scanned (`reason`); its frames pass as forward
  scan,      // a held body is complete: `head`, `body`, `request_head`; the caller then calls verdict()
  overflow,  // no verdict is possible (`reason`); `bytes` to the client now: the held frames, or a reset
};

// One step; every final response on a stream gives exactly one skipped, scan or overflow step.
struct ScanStep {
  ScanStepKind kind = ScanStepKind::forward;
  std::uint32_t stream_id = 0;
  std::string bytes;
  std::string head;          // scan: the response as an HTTP/1.1 head
  std::string body;          // scan: the payload (DATA without padding)
  std::string request_head;  // scan: request line and Host as an HTTP/1.1 head ("" when unknown)
  std::string reason;        // skipped, overflow: why, one line
};

class ScanFramer {
 public:
  explicit ScanFramer(ScanFramerSettings settings);

  // The bytes that went to the server, in order, from the client preface on. Gives only
  // skipped steps (a held stream the client reset), never bytes for the client.
  void from_client(std::span<const std::uint8_t> bytes, std::vector<ScanStep>& out);
  // The server's bytes, split anywhere: appends the steps they make, in order. A scan step's
  // verdict() must be written before the bytes of the steps after it.
  void from_server(std::span<const std::uint8_t> bytes, std::vector<ScanStep>& out);
  // The server closed: unfinished held bodies are overflow steps.
  void server_closed(std::vector<ScanStep>& out);
  // The verdict on a scan step's stream: delivered, its held frames as the server sent them;
  // withheld, a reset. Empty when the client reset the stream meanwhile.
  std::string verdict(std::uint32_t stream_id, bool deliver);

  // Frames for the server are pending and the client's bytes end a frame outside a header block.
  bool to_server_ready() const;
  std::string take_to_server();
  // The server's bytes could not be framed under block: nothing more passes (the caller
  // ends the connection).
  bool stopped() const { return stopped_; }
  std::size_t held_bytes() const { return held_total_; }

 private:
  // undecided: no final response yet; drop: withheld, its trailer block still arriving.
  enum class Mode { undecided, pass, hold, scanning, drop };
  // after_body: a frame that must follow a body awaiting its verdict (the server's RST_STREAM).
  enum class Route { forward, hold, hold_trailers, after_body, drop };
  struct Stream {
    Mode mode = Mode::undecided;
    bool connect = false;        // the request is a CONNECT: its DATA is a tunnel
    bool server_ended = false;   // END_STREAM or RST_STREAM from the server
    bool client_reset = false;   // while scanning
    std::string request_head;
    std::string response_head;
    std::string held;            // DATA frames as sent
    std::string trailers;        // a held body's trailer frames
    std::string after_body;      // frames that follow them (delivered only with the body)
    std::uint64_t held_flow = 0;  // flow-controlled bytes in `held`
    std::int64_t sent = 0;       // flow-controlled bytes the server sent on the stream
    std::int64_t updates = 0;    // the client's WINDOW_UPDATE increments for it
  };
  // One direction's frames and its HPACK decoder state.
  struct Side : FrameReader {
    BlockDecoder decoder;
    bool decoder_lost = false;
  };


  static constexpr std::size_t max_streams = 1024;  // tracked at once
  std::size_t max_kept_bytes() const;

  void server_header(std::vector<ScanStep>& out);
  // After a framing failure under pass_on_overflow: the route of the frame whose header was read.
  void passthrough_route();
  void server_data_header(std::vector<ScanStep>& out);
  void server_end(std::vector<ScanStep>& out);
  void response_block(std::uint32_t id, HeaderFields fields, bool end_stream, std::vector<ScanStep>& out);
  void client_end(std::vector<ScanStep>& out);
  void client_settings(std::string_view payload);
  void client_reset(std::uint32_t id, std::vector<ScanStep>& out);

  Stream* find(std::uint32_t id);
  void erase(std::uint32_t id);
  void complete(std::uint32_t id, Stream& s, std::vector<ScanStep>& out);
  // No verdict for stream `id`: its held frames pass, or it is reset.
  void give_up(std::uint32_t id, Stream& s, std::string reason, std::vector<ScanStep>& out);
  // Gives up every held body still arriving except `keep`'s.
  void give_up_unfinished(std::uint32_t keep, const std::string& reason, std::vector<ScanStep>& out);
  // The server's bytes cannot be framed: every held body is given up; then everything passes
  // unscanned (pass_on_overflow: frames are still split, and withheld streams' DATA dropped) or
  // nothing more does.
  void fail(const std::string& reason, std::vector<ScanStep>& out);
  // Stream `id` is withheld: its later DATA is dropped (and returned to the server's window).
  void drop(std::uint32_t id);
  bool dropped(std::uint32_t id) const;
  void emit(std::span<const std::uint8_t> bytes, std::vector<ScanStep>& out);
  std::int64_t connection_window() const;

  ScanFramerSettings settings_;
  std::unordered_map<std::uint32_t, Stream> streams_;
  Side client_, server_;
  std::size_t client_preface_left_ = client_preface.size();
  bool client_lost_ = false;  // the client's bytes are not HTTP/2 from the preface on
  Route route_ = Route::forward;        // the server's current frame
  Route block_route_ = Route::forward;  // the server's open header block
  std::uint32_t route_stream_ = 0;
  std::size_t held_total_ = 0;
  std::int64_t client_initial_window_ = 65535;  // SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 §6.5.2)
  std::int64_t connection_updates_ = 0;         // the client's WINDOW_UPDATEs on stream 0, and ours
  std::int64_t connection_sent_ = 0;            // DATA bytes the server sent
  std::uint64_t unreturned_ = 0;                // dropped DATA bytes not yet returned to the server
  std::vector<std::uint32_t> dropped_;           // recently withheld streams, oldest first
  std::uint32_t highest_client_stream_ = 0;
  std::uint32_t highest_pushed_stream_ = 0;
  std::string to_server_;
  bool passthrough_ = false;
  bool stopped_ = false;
};

}  // namespace tlsgate::http::h2

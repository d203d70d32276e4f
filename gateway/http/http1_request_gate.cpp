// The HTTP/1 request gate (see request_gate.hpp): each request head is held until it is
// complete and decided; bodies are framed (never held) to find the next head; responses are
// framed only to learn the answer to an Upgrade or CONNECT request, behind which the client's
// bytes wait. Everything forwarded is the client's bytes, framed exactly as the gate framed
// them, up to the end of what was allowed; only a head that header rules changed goes up
// rewritten.
#include <string_view>

#include "gateway/http/http1_body.hpp"
#include "gateway/http/http1_gate_response.hpp"
#include "gateway/http/http1_head.hpp"
#include "gateway/http/http1_header_edit.hpp"
#include "gateway/http/http1_response_tracker.hpp"
#include "gateway/http/request_gate.hpp"

namespace tlsgate::http {

namespace {

using namespace h1;

std::string_view as_view(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

class Http1RequestGate final : public RequestGate {
 public:
  Http1RequestGate(GateSettings settings, DecideRequest decide)
      : settings_(std::move(settings)), decide_(std::move(decide)), responses_(settings_.limits) {}

  ClientStep from_client(std::span<const std::uint8_t> bytes) override;
  ClientStep from_client_borrowing(std::span<const std::uint8_t> bytes) override;
  ServerStep from_server(std::span<const std::uint8_t> bytes) override;
  std::string take_to_client() override { return h2_ ? h2_->take_to_client() : std::string(); }
  bool holds_to_client() const override { return h2_ && h2_->holds_to_client(); }
  bool awaiting_responses() const override { return !h2_ && responses_.pending() > 0; }
  std::string_view version() const override { return h2_ ? "2" : "1.1"; }

 private:
  enum class Mode {
    heads,        // reading (or holding) a request head
    body,         // inside an allowed request's body
    awaiting,     // holding bytes behind a switch request until its answer
    passthrough,  // after a switch (or a parse error with relay_unparsed_on_error): unparsed
    h2,           // after a switch to h2c: the h2 gate has both directions
    closed,       // blocked or failed: nothing more moves
  };
  // Whether the loop in process() goes on after a step.
  enum class Next { more, stop };

  // Runs the client's bytes in `data` (the held bytes with the new ones appended, or the new
  // ones alone) through the modes; forwards data[0, pos_) (rewritten heads in their place),
  // holds the rest.
  void process(std::string_view data, ClientStep& step);
  Next read_head(std::string_view data, ClientStep& step);
  Next read_body(std::string_view data, ClientStep& step);
  Next await_answer(std::string_view data, ClientStep& step);
  // The decided request's head, in request_ (its strings keep their capacity from one request to the next).
  void fill_request_head(const Head& head);
  // A parse failure at data[pos_]; data[0, valid) may still go upstream.
  void fail(std::string_view data, std::size_t valid, std::string detail, ClientStep& step);
  // What of data[0, end) is not in the step yet.
  std::string_view unsent(std::string_view data, std::size_t end) const { return data.substr(sent_, end - sent_); }

  GateSettings settings_;
  DecideRequest decide_;
  Mode mode_ = Mode::heads;
  std::string held_;     // a partial head, or the bytes behind a switch request
  std::size_t pos_ = 0;   // in process(): everything before it is forwarded
  std::size_t sent_ = 0;  // in process(): everything before it is in the step's to_server
  HeadScanner scanner_;  // over the head at held_ / data[pos_]
  BodyFramer body_;
  bool body_switches_ = false;  // the request whose body is read asked for a switch
  ResponseTracker responses_;
  RequestHead request_;
  // The answer to the last switch request (it may come while its body is still read).
  SwitchAnswer answer_ = SwitchAnswer::none;
  bool answer_h2c_ = false;
  std::unique_ptr<RequestGate> h2_;  // after a switch to h2c
};

ClientStep Http1RequestGate::from_client(std::span<const std::uint8_t> bytes) {
  ClientStep step = from_client_borrowing(bytes);
  if (step.input_prefix > 0) {
    step.to_server.insert(0, as_view(bytes).substr(0, step.input_prefix));
    step.input_prefix = 0;
  }
  return step;
}

ClientStep Http1RequestGate::from_client_borrowing(std::span<const std::uint8_t> bytes) {
  ClientStep step;
  const std::string_view in = as_view(bytes);
  switch (mode_) {
    case Mode::closed: return step;
    case Mode::passthrough: step.input_prefix = in.size(); return step;
    case Mode::h2: return h2_->from_client_borrowing(bytes);
    default: break;
  }
  if (held_.empty()) {
    process(in, step);
  } else {
    held_.append(in);
    process(held_, step);
  }
  return step;
}

void Http1RequestGate::process(std::string_view data, ClientStep& step) {
  pos_ = sent_ = 0;
  Next next = Next::more;
  while (next == Next::more) {
    switch (mode_) {
      case Mode::heads: next = read_head(data, step); break;
      case Mode::body: next = read_body(data, step); break;
      case Mode::awaiting: next = await_answer(data, step); break;
      case Mode::passthrough: pos_ = data.size(); next = Next::stop; break;
      case Mode::h2:
      case Mode::closed: next = Next::stop; break;
    }
  }
  if (mode_ == Mode::h2 || mode_ == Mode::closed) return;  // the step was completed there
  if (data.data() != held_.data() && sent_ == 0) {
    step.input_prefix = pos_;  // the caller's bytes: forwarded as they are
    held_.assign(data.substr(pos_));
    return;
  }
  step.to_server.append(unsent(data, pos_));  // after a rewritten head, or out of held_
  if (data.data() == held_.data()) {
    held_.erase(0, pos_);
  } else {
    held_.assign(data.substr(pos_));
  }
}

Http1RequestGate::Next Http1RequestGate::read_head(std::string_view data, ClientStep& step) {
  if (pos_ == data.size()) return Next::stop;
  const std::string_view rest = data.substr(pos_);
  const auto scan = scanner_.scan(rest, settings_.limits.max_header_bytes, settings_.limits.max_header_fields);
  if (scan.is_need_more()) return Next::stop;
  if (scan.is_error()) {
    fail(data, pos_, scan.detail, step);
    return Next::stop;
  }
  const auto head = parse_request_head(rest.substr(0, scan.value), scanner_.start());
  if (head.is_error()) {
    fail(data, pos_, head.detail, step);
    return Next::stop;
  }
  if (responses_.pending() >= max_pending_requests) {
    fail(data, pos_, "more than " + std::to_string(max_pending_requests) + " requests without a response", step);
    return Next::stop;
  }
  fill_request_head(head.value);
  const RequestAnswer answer = decide_(request_);
  if (answer.action != RequestAction::forward) {
    step.to_server.append(unsent(data, pos_));
    step.to_client = http1_gate_response(answer, request_.version);
    step.close = true;
    mode_ = Mode::closed;
    held_ = {};
    return Next::stop;
  }
  if (!answer.header_edits.empty()) {
    step.to_server.append(unsent(data, pos_));
    append_edited_head(rest.substr(0, scan.value), scanner_.start(), answer.header_edits, step.to_server);
    sent_ = pos_ + scan.value;
  }
  pos_ += scan.value;
  scanner_ = HeadScanner{};
  const PendingRequest pending{request_.method == "HEAD", request_.upgrade.has_value(), request_.method == "CONNECT"};
  responses_.expect(pending);
  body_switches_ = pending.upgrade || pending.connect;
  body_ = BodyFramer(head.value.body, settings_.limits.max_header_bytes, settings_.limits.max_header_fields);
  mode_ = Mode::body;
  return Next::more;
}

Http1RequestGate::Next Http1RequestGate::read_body(std::string_view data, ClientStep& step) {
  const BodyStep body = body_.consume(data.substr(pos_));
  if (!body.error.empty()) {
    fail(data, pos_ + body.used, body.error, step);
    return Next::stop;
  }
  pos_ += body.used;
  if (!body.done) return Next::stop;
  mode_ = body_switches_ ? Mode::awaiting : Mode::heads;
  return Next::more;
}

Http1RequestGate::Next Http1RequestGate::await_answer(std::string_view data, ClientStep& step) {
  if (answer_ == SwitchAnswer::none && responses_.lost()) {
    fail(data, pos_, "the answer to an Upgrade request is unknown: " + responses_.lost_reason(), step);
    return Next::stop;
  }
  switch (answer_) {
    case SwitchAnswer::none:
      if (data.size() - pos_ > settings_.limits.max_header_bytes) {
        fail(data, pos_, "more than max_header_bytes sent behind an unanswered Upgrade request", step);
      }
      return Next::stop;
    case SwitchAnswer::refused:
      answer_ = SwitchAnswer::none;
      mode_ = Mode::heads;
      return Next::more;
    case SwitchAnswer::switched:
      break;
  }
  if (!answer_h2c_) {
    mode_ = Mode::passthrough;
    return Next::more;
  }
  // h2c: the h2 gate reads the client's bytes from here on (the preface comes first).
  mode_ = Mode::h2;
  const std::string_view rest = data.substr(pos_);
  ClientStep inner = h2_->from_client({reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()});
  step.to_server.append(unsent(data, pos_)).append(inner.to_server);
  step.to_client = std::move(inner.to_client);
  step.close = inner.close;
  step.error = std::move(inner.error);
  held_ = {};
  return Next::stop;
}

void Http1RequestGate::fill_request_head(const Head& head) {
  RequestHead& out = request_;
  out.version = head.request.minor_version == 0 ? "1.0" : "1.1";
  out.method.assign(head.request.method);
  out.scheme = settings_.scheme;
  // RFC 9112 §3.2.2: a server takes the authority of an absolute-form target, not Host.
  const std::optional<std::string_view> authority = head.target_authority ? head.target_authority : head.host;
  if (!authority) {
    out.authority.reset();
  } else if (out.authority) {
    out.authority->assign(*authority);
  } else {
    out.authority.emplace(*authority);
  }
  out.path.assign(head.request.target);
  out.upgrade = head.upgrade;
}

void Http1RequestGate::fail(std::string_view data, std::size_t valid, std::string detail, ClientStep& step) {
  step.error = "http1 request: " + detail;
  if (settings_.relay_unparsed_on_error) {
    mode_ = Mode::passthrough;  // the held bytes and all after go on unparsed
    pos_ = data.size();
    return;
  }
  pos_ = valid;
  mode_ = Mode::closed;
  step.to_server.append(unsent(data, valid));
  step.to_client = http1_inspect_error_response();
  step.close = true;
  held_ = {};
}

ServerStep Http1RequestGate::from_server(std::span<const std::uint8_t> bytes) {
  ServerStep step;
  step.split = bytes.size();
  if (h2_) return h2_->from_server(bytes);
  if (mode_ == Mode::closed || mode_ == Mode::passthrough || responses_.stopped()) return step;
  const TrackStep track = responses_.feed(as_view(bytes));
  if (track.answer != SwitchAnswer::none) {
    answer_ = track.answer;
    answer_h2c_ = track.h2c;
    if (track.h2c) {
      // The server's h2 frames follow its 101 head; the h2 gate frames them from there on.
      h2_ = make_h2_request_gate(settings_, decide_);
      ServerStep inner = h2_->from_server(bytes.subspan(track.end));
      step.split = track.end + inner.split;
      step.inject = std::move(inner.inject);
    }
  }
  if (mode_ == Mode::awaiting && (track.answer != SwitchAnswer::none || responses_.lost())) {
    step.resume_client = true;
  }
  return step;
}

}  // namespace

std::unique_ptr<RequestGate> make_http1_request_gate(GateSettings settings, DecideRequest decide) {
  return std::make_unique<Http1RequestGate>(std::move(settings), std::move(decide));
}

}  // namespace tlsgate::http

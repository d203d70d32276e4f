#include "gateway/flow/relay/scan_stage.hpp"

#include "gateway/flow/relay/scan_report.hpp"
#include "gateway/http/http1_gate_response.hpp"
#include "gateway/metrics/metrics.hpp"

namespace tlsgate {

using http::h1::ScanStep;
using http::h1::ScanStepKind;

std::string_view host_of(std::string_view request_head) {
  const auto at = request_head.find("\r\nHost: ");
  if (at == std::string_view::npos) return {};
  const auto start = at + 8;
  return request_head.substr(start, request_head.find("\r\n", start) - start);
}

ScanStage::ScanStage(std::shared_ptr<const icap::ScanConfig> config, std::shared_ptr<icap::IcapClient> client,
                     icap::ScanKind kind, ScanStageContext context)
    : config_(std::move(config)), client_(std::move(client)), kind_(kind), context_(std::move(context)) {}

http::h1::ScanFramerSettings ScanStage::framer_settings(const http::HttpLimits& limits) const {
  http::h1::ScanFramerSettings s;
  s.max_body_bytes = config_->max_bytes;
  s.pass_on_overflow = config_->on_error == icap::ScanConfig::OnError::allow;
  s.limits = limits;
  if (!config_->content_types.empty()) {
    s.scans_content_type = [config = config_](std::string_view type) { return config->scans_content_type(type); };
  }
  return s;
}

awaitable<bool> ScanStage::carry_out(std::vector<ScanStep> steps, std::string& out, Outcomes& outcomes) {
  for (auto& step : steps) {
    if (step.kind == ScanStepKind::forward) {
      out += step.bytes;
      continue;
    }
    const ScanOutcome o = co_await outcome(step);
    if (!outcomes.carry_out(o, step, out)) co_return false;
  }
  co_return true;
}

awaitable<ScanOutcome> ScanStage::outcome(ScanStep& step) {
  ScanOutcome out;
  switch (step.kind) {
    case ScanStepKind::forward:  // not a message's end; the caller forwards it
    case ScanStepKind::skipped:
      out.disposition.deliver = true;
      out.disposition.result = "skipped";
      out.disposition.detail = step.reason;
      co_return out;
    case ScanStepKind::overflow:
      // The framer already holds back what follows when on_error blocks.
      out.disposition = without_verdict(step.reason, config_->on_error);
      co_return out;
    case ScanStepKind::scan: break;
  }
  icap::ScanRequest request;
  request.kind = kind_;
  if (kind_ == icap::ScanKind::respmod) {
    request.request_head = step.request_head;
    request.response_head = step.head;
  } else {
    request.request_head = step.head;
  }
  request.body = std::move(step.body);
  const icap::ScanResult result = co_await client_->scan(std::move(request));
  out.disposition = disposition_of(result.verdict, config_->on_error);
  out.ms = static_cast<std::uint64_t>(result.elapsed.count());
  co_return out;
}

std::string ScanStage::reply(const ScanDisposition& d, const ScanStep& step) const {
  if (!d.reply.empty()) return d.reply;
  const std::string why = d.result == "infected" ? "infected: " + d.threat : "no scan verdict: " + d.detail;
  const std::string host(host_of(step.request_head));
  const BlockFacts facts{host, context_.rule, context_.flow_id, why};
  const http::RequestAnswer answer{
      http::RequestAction::block, block_page(context_.page ? *context_.page : BlockPageTemplate{}, facts), {}};
  return http::http1_gate_response(answer, "1.1");
}

log::HttpEventScan ScanStage::report(const ScanOutcome& o) const {
  const ScanDisposition& d = o.disposition;
  if (context_.metrics)
    context_.metrics->scan(kind_ == icap::ScanKind::respmod ? "respmod" : "reqmod", d.result, d.deliver);
  return scan_event(*client_, d, o.ms);
}

}  // namespace tlsgate

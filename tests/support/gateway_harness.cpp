#include "tests/support/gateway_harness.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "gateway/flow/flow.hpp"
#include "gateway/tls/tls_engine.hpp"

namespace tlsgate::testing {
namespace {

// Bounds for waits on the gateway: generous, so that a slow sanitizer build
// passes; they only end a test that would otherwise hang.
constexpr auto wait_limit = std::chrono::seconds(30);
constexpr auto poll_interval = std::chrono::milliseconds(10);

Config with_files(Config config, const std::string& dir) {
  config.flow_log = dir + "/flow.jsonl";
  config.state_dir = dir + "/state";
  config.listeners.clear();
  return config;
}

std::vector<nlohmann::json> read_events(const std::string& path, std::string_view event) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_discarded() && json.value("event", "") == event) out.push_back(std::move(json));
  }
  return out;
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/tlsgate-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

GatewayHarness::GatewayHarness(GatewaySetup setup)
    : config_(with_files(std::move(setup.config), dir_.path())),
      log_(config_.flow_log, config_.log_queue_lines),
      shared_(config_, log_),
      find_original_(std::move(setup.find_original)),
      acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  std::signal(SIGPIPE, SIG_IGN);  // as the daemon does: a peer gone is an error, not a signal
  shared_.policy.store(std::move(setup.policy));
  shared_.own_addresses.store(std::make_shared<const std::vector<IpAddress>>(
      setup.own_addresses.empty() ? std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")} : setup.own_addresses));
  shared_.tls = std::make_unique<tls::TlsEngine>(config_, tls::CertificateAuthority::create(tls::KeyType::ec_p256));
  endpoint_ = Endpoint{*IpAddress::parse("127.0.0.1"), acceptor_.local_endpoint().port()};
  asio::co_spawn(io_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

GatewayHarness::~GatewayHarness() {
  asio::post(io_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    registry_.terminate_all();
  });
  const auto deadline = std::chrono::steady_clock::now() + wait_limit;
  while (running_flows_.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(poll_interval);
  io_.stop();
  thread_.join();
  log_.stop();
}

awaitable<void> GatewayHarness::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec) co_return;
    ++running_flows_;
    asio::co_spawn(io_, run_flow(std::move(socket), RedirectMode::redirect, find_original_, shared_, registry_),
                   [this](std::exception_ptr) { --running_flows_; });
  }
}

std::vector<nlohmann::json> GatewayHarness::flow_lines(std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + wait_limit;
  for (;;) {
    auto lines = read_events(config_.flow_log, "flow");
    if (lines.size() >= count || std::chrono::steady_clock::now() >= deadline) {
      if (lines.size() > count) lines.resize(count);
      return lines;
    }
    std::this_thread::sleep_for(poll_interval);
  }
}

std::vector<nlohmann::json> GatewayHarness::events(std::string_view event) const {
  return read_events(config_.flow_log, event);
}

void GatewayHarness::terminate_flows() {
  asio::post(io_, [this] { registry_.terminate_all(); });
}

}  // namespace tlsgate::testing

// IcapClient against a scripted ICAP server on loopback: what real servers do that c-icap in
// the integration test does not (closing kept-alive connections, Connection: close, odd or
// malformed answers, a service without RESPMOD), and what the client sends after a preview.
#include "gateway/icap/icap_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/write.hpp>
#include <functional>
#include <string>
#include <tuple>

namespace tlsgate::icap {
namespace {

constexpr std::string_view options_answer =
    "ICAP/1.0 200 OK\r\nMethods: RESPMOD\r\nISTag: \"t\"\r\nPreview: 4\r\nAllow: 204\r\n"
    "Encapsulated: null-body=0\r\n\r\n";

// What the scripted server answers to one request (the bytes it received so far on this
// connection's request); "" reads on. `close_after` closes the connection after answering.
struct Answer {
  std::string bytes;
  bool close_after = false;
};
using Script = std::function<Answer(const std::string& request, int connection)>;

// True once `request` holds a whole request, or a preview waiting for 100 Continue.
bool request_complete(const std::string& r) {
  if (r.find("\r\n\r\n") == std::string::npos) return false;
  if (r.find("null-body=") != std::string::npos) return true;
  return r.ends_with("0\r\n\r\n") || r.ends_with("0; ieof\r\n\r\n");
}

awaitable<void> serve(tcp::socket socket, Script script, int connection) {
  std::string request;
  char buffer[65536];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) co_return;
    request.append(buffer, n);
    if (!request_complete(request)) continue;
    const Answer answer = script(request, connection);
    if (answer.bytes.empty()) continue;
    if (!answer.bytes.starts_with("ICAP/1.0 100")) request.clear();
    co_await asio::async_write(socket, asio::buffer(answer.bytes), use_tuple);
    if (answer.close_after) co_return;
  }
}

awaitable<void> accept_all(tcp::acceptor& acceptor, Script script) {
  for (int connection = 0;; ++connection) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), script, connection), asio::detached);
  }
}

struct Run {
  std::vector<ScanResult> results;
  std::size_t connections_opened = 0;
};

awaitable<void> scan_all(IcapClient& client, std::vector<ScanRequest> requests, Run& run, tcp::acceptor& acceptor) {
  for (auto& r : requests) run.results.push_back(co_await client.scan(std::move(r)));
  run.connections_opened = client.connections_opened();
  client.close_idle_connections();
  acceptor.close();
}

ScanRequest download(std::string body) {
  ScanRequest r;
  // No digit before the empty line: the scripted server looks for "0\r\n\r\n" to end a request.
  r.response_head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-test\r\n\r\n";
  r.body = std::move(body);
  return r;
}

// All requests at once: each scan in its own coroutine.
awaitable<void> scan_together(IcapClient& client, std::vector<ScanRequest> requests, Run& run, tcp::acceptor& acceptor) {
  auto executor = co_await asio::this_coro::executor;
  std::size_t left = requests.size();
  asio::steady_timer all_done(executor, std::chrono::steady_clock::time_point::max());
  for (auto& r : requests) {
    asio::co_spawn(
        executor,
        [&, request = std::move(r)]() mutable -> awaitable<void> {
          run.results.push_back(co_await client.scan(std::move(request)));
          if (--left == 0) all_done.cancel();
        },
        asio::detached);
  }
  if (left > 0) co_await all_done.async_wait(use_tuple);
  run.connections_opened = client.connections_opened();
  client.close_idle_connections();
  acceptor.close();
}

// Runs the requests against a server that follows `script`: in turn, or all at once.
Run scan_with(Script script, std::vector<ScanRequest> requests, ClientLimits limits = {}, bool together = false) {
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string error;
  auto service =
      parse_service_uri("icap://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/avscan", error);
  IcapClient client(io.get_executor(), *service, limits);
  Run run;
  asio::co_spawn(io, accept_all(acceptor, script), asio::detached);
  asio::co_spawn(io,
                 together ? scan_together(client, std::move(requests), run, acceptor)
                          : scan_all(client, std::move(requests), run, acceptor),
                 asio::detached);
  io.run();
  return run;
}

bool is_options(const std::string& request) { return request.starts_with("OPTIONS "); }

TEST(IcapClient, PreviewThenTheRestOnlyAfter100Continue) {
  std::string received;
  const auto run = scan_with(
      [&](const std::string& request, int) -> Answer {
        if (is_options(request)) return {std::string(options_answer)};
        received = request;
        if (request.ends_with("\r\n4\r\nabcd\r\n0\r\n\r\n")) return {"ICAP/1.0 100 Continue\r\n\r\n"};
        return {"ICAP/1.0 204 No Content\r\n\r\n"};
      },
      {download("abcdefghij")});
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_EQ(run.results[0].verdict.outcome, ScanOutcome::clean) << run.results[0].verdict.detail;
  EXPECT_EQ(run.results[0].body_bytes_sent, 10u);
  // The preview, then the rest after 100 Continue: every byte once.
  EXPECT_TRUE(received.find("Preview: 4\r\n") != std::string::npos);
  EXPECT_TRUE(received.ends_with("4\r\nabcd\r\n0\r\n\r\n6\r\nefghij\r\n0\r\n\r\n")) << received;
}

TEST(IcapClient, A204ToThePreviewSendsNoMore) {
  const auto run = scan_with(
      [](const std::string& request, int) -> Answer {
        return {is_options(request) ? std::string(options_answer) : "ICAP/1.0 204 No Content\r\n\r\n"};
      },
      {download("abcdefghij"), download("abc")});
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[0].verdict.outcome, ScanOutcome::clean);
  EXPECT_EQ(run.results[0].body_bytes_sent, 4u);
  EXPECT_EQ(run.results[1].body_bytes_sent, 3u);  // whole in the preview, `0; ieof`
  EXPECT_EQ(run.connections_opened, 1u);
}

TEST(IcapClient, AKeptAliveConnectionTheServerClosedIsReplacedOnce) {
  const auto run = scan_with(
      [](const std::string& request, int) -> Answer {
        // Like a server past its KeepAliveTimeout: it closes after each answer, without saying so.
        return {is_options(request) ? std::string(options_answer) : "ICAP/1.0 204 No Content\r\n\r\n", true};
      },
      {download("abc"), download("def")});
  ASSERT_EQ(run.results.size(), 2u);
  for (const auto& r : run.results) EXPECT_EQ(r.verdict.outcome, ScanOutcome::clean) << r.verdict.detail;
  EXPECT_EQ(run.connections_opened, 3u);  // OPTIONS, then one per scan after the stale one failed
}

TEST(IcapClient, ConnectionCloseIsHonoured) {
  int connections = 0;
  const auto run = scan_with(
      [&](const std::string& request, int connection) -> Answer {
        connections = std::max(connections, connection + 1);
        if (is_options(request)) return {std::string(options_answer)};
        return {"ICAP/1.0 204 No Content\r\nConnection: close\r\n\r\n"};
      },
      {download("abc"), download("def")});
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[1].verdict.outcome, ScanOutcome::clean);
  EXPECT_EQ(run.connections_opened, 2u);  // the OPTIONS connection, reused once, then a new one
  EXPECT_EQ(connections, 2);
}

// The service's Max-Connections is the whole process's: each worker thread's client gets its share.
TEST(IcapClient, MaxConnectionsIsSharedByTheWorkersClients) {
  const std::string options =
      "ICAP/1.0 200 OK\r\nMethods: RESPMOD\r\nISTag: \"t\"\r\nMax-Connections: 6\r\nAllow: 204\r\n"
      "Encapsulated: null-body=0\r\n\r\n";
  const auto script = [&](const std::string& request, int) -> Answer {
    return {is_options(request) ? options : "ICAP/1.0 204 No Content\r\n\r\n"};
  };
  const auto eight = [] { return std::vector<ScanRequest>(8, download("abc")); };
  for (const auto& [share, own_limit, expected] :
       {std::tuple{1u, 16u, 6u}, std::tuple{3u, 16u, 2u}, std::tuple{4u, 16u, 1u}, std::tuple{8u, 16u, 1u},
        std::tuple{1u, 4u, 4u}}) {
    SCOPED_TRACE("share " + std::to_string(share) + ", max_connections " + std::to_string(own_limit));
    ClientLimits limits;
    limits.max_connections = own_limit;
    limits.service_share = share;
    const auto run = scan_with(script, eight(), limits, true);
    ASSERT_EQ(run.results.size(), 8u);
    for (const auto& r : run.results) EXPECT_EQ(r.verdict.outcome, ScanOutcome::clean) << r.verdict.detail;
    EXPECT_EQ(run.connections_opened, expected);
  }
}

TEST(IcapClient, WrongAnswersAreErrors) {
  struct Case {
    const char* name;
    std::string options;
    std::string answer;
    const char* detail;
  } cases[] = {
      {"continue_after_ieof", std::string(options_answer), "ICAP/1.0 100 Continue\r\n\r\n",
       "continue after the whole body"},
      {"malformed", std::string(options_answer), "HTTP/1.1 200 OK\r\n\r\n", "a malformed ICAP answer (bad_status_line"},
      {"server_error", std::string(options_answer), "ICAP/1.0 500 Server Error\r\n\r\n", "answered 500 Server Error"},
      {"no_respmod", "ICAP/1.0 200 OK\r\nMethods: REQMOD\r\nISTag: \"t\"\r\n\r\n", "", "does not offer RESPMOD"},
      {"options_refused", "ICAP/1.0 404 Service not found\r\n\r\n", "", "OPTIONS answered 404"},
      {"closed_mid_answer", std::string(options_answer), "ICAP/1.0 200 OK\r\nEncapsulated: res-body=0\r\n\r\n5\r\nab",
       "the ICAP server closed the connection"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto run = scan_with(
        [&](const std::string& request, int) -> Answer {
          return {is_options(request) ? c.options : c.answer, !is_options(request)};
        },
        {download("abc")});
    ASSERT_EQ(run.results.size(), 1u);
    EXPECT_EQ(run.results[0].verdict.outcome, ScanOutcome::error);
    EXPECT_NE(run.results[0].verdict.detail.find(c.detail), std::string::npos) << run.results[0].verdict.detail;
  }
}

}  // namespace
}  // namespace tlsgate::icap

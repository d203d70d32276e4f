#include "gateway/flow/portal_redirect.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "gateway/flow/original_dst.hpp"

namespace tlsgate {
namespace {

bool is_wildcard(const IpAddress& ip) {
  const auto octets = ip.octets();
  return std::all_of(octets.begin(), octets.end(), [](std::uint8_t b) { return b == 0; });
}

// The source address of a UDP socket connected to the client: connect() on a
// datagram socket only looks the route up.
std::optional<IpAddress> address_toward(const IpAddress& client) {
  const IpAddress peer = client.unmapped();
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (peer.is_v4()) {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(9);  // any port: nothing is sent
    std::memcpy(&sin.sin_addr, peer.bytes.data(), 4);
    len = sizeof sin;
  } else {
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(9);
    std::memcpy(&sin6.sin6_addr, peer.bytes.data(), 16);
    len = sizeof sin6;
  }
  const int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<Endpoint> local;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0) local = local_endpoint(fd);
  ::close(fd);
  if (!local) return std::nullopt;
  return local->ip;
}

}  // namespace

std::optional<std::string> portal_url(const Endpoint& portal_listen, const IpAddress& client) {
  IpAddress host = portal_listen.ip.unmapped();
  if (is_wildcard(host)) {
    const auto toward = address_toward(client);
    if (!toward) return std::nullopt;
    host = *toward;
  }
  const std::string text = host.to_string();
  return "http://" + (host.is_v4() ? text : "[" + text + "]") + ":" + std::to_string(portal_listen.port) + "/";
}

std::string onboard_page(const std::string& url) {
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Install the gateway certificate</title>"
         "</head>\n<body><h1>Install the gateway certificate</h1>\n<p>This network inspects encrypted traffic. "
         "Install its certificate authority first: <a href=\"" +
         url + "\">" + url + "</a></p></body></html>\n";
}

}  // namespace tlsgate

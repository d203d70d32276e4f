#pragma once
// TLS alert descriptions (RFC 8446 6.2) the gateway sends or interprets.
#include <cstdint>

namespace tlsgate::tls {

constexpr std::uint8_t alert_bad_certificate = 42;
constexpr std::uint8_t alert_unsupported_certificate = 43;
constexpr std::uint8_t alert_certificate_revoked = 44;
constexpr std::uint8_t alert_certificate_expired = 45;
constexpr std::uint8_t alert_certificate_unknown = 46;
constexpr std::uint8_t alert_unknown_ca = 48;
constexpr std::uint8_t alert_access_denied = 49;

// Alerts a client sends when it does not accept the certificate it was shown.
constexpr bool is_certificate_rejection(int alert) {
  return (alert >= alert_bad_certificate && alert <= alert_certificate_unknown) || alert == alert_unknown_ca;
}

}  // namespace tlsgate::tls

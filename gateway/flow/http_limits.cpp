#include "gateway/flow/http_limits.hpp"

namespace tlsgate {

http::HttpLimits http_limits(const Config& config) {
  http::HttpLimits limits;
  limits.max_header_bytes = config.http_max_header_bytes;
  limits.max_header_fields = config.http_max_header_fields;
  limits.max_exchange_header_bytes = config.http_max_exchange_header_bytes;
  limits.body_capture_bytes = config.http_body_capture_bytes;
  limits.redact = config.http_redact;
  return limits;
}

}  // namespace tlsgate

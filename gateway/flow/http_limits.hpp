#pragma once
// The config's HTTP bounds as the HTTP parsers take them: one reading for the observer, the
// request gates and the scan framers.
#include "gateway/config.hpp"
#include "gateway/http/exchange.hpp"

namespace tlsgate {

http::HttpLimits http_limits(const Config& config);

}  // namespace tlsgate

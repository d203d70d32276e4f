#pragma once
// The version (CMake project(VERSION)) and the libraries built against.
#include <openssl/crypto.h>

#include <boost/version.hpp>
#include <string>

#ifndef TLSGATE_VERSION
#define TLSGATE_VERSION "unknown"
#endif

namespace tlsgate {

inline constexpr const char* version = TLSGATE_VERSION;

inline std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) + "." +
         std::to_string(BOOST_VERSION % 100);
}

// "tlsgate 0.1.0 (OpenSSL 3.0.x ..., Boost 1.81.0)": OpenSSL as loaded at run time.
inline std::string version_line() {
  return std::string("tlsgate ") + version + " (" + OpenSSL_version(OPENSSL_VERSION) + ", Boost " + boost_version() + ")";
}

}  // namespace tlsgate

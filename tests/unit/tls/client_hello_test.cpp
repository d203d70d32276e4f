#include "gateway/tls/client_hello.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace tlsgate::tls {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes load(const std::string& name) {
  const auto path = std::filesystem::path(TLSGATE_TEST_DATA_DIR) / "client_hello" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return Bytes{std::istreambuf_iterator<char>(in), {}};
}

void put16(Bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes vec16(const Bytes& body) {
  Bytes out;
  put16(out, body.size());
  return cat({out, body});
}
Bytes vec8(const Bytes& body) { return cat({Bytes{static_cast<std::uint8_t>(body.size())}, body}); }
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes u16s(std::initializer_list<std::uint16_t> values) {
  Bytes out;
  for (auto v : values) put16(out, v);
  return out;
}
Bytes ext(std::uint16_t type, const Bytes& data) { return cat({u16s({type}), vec16(data)}); }
Bytes sni_ext(std::string_view host) { return ext(0, vec16(cat({Bytes{0}, vec16(text(host))}))); }
Bytes alpn_ext(std::initializer_list<std::string_view> names) {
  Bytes list;
  for (auto n : names) list = cat({list, vec8(text(n))});
  return ext(16, vec16(list));
}

// A ClientHello body: version, random, session_id, cipher_suites, compression, then `tail`
// (normally vec16(extensions); empty for a hello without extensions).
Bytes body(const Bytes& tail, Bytes session_id = Bytes(32, 0x5a), Bytes suites = u16s({0x1301, 0xc02f})) {
  return cat({u16s({0x0303}), Bytes(32, 0x11), vec8(session_id), vec16(suites), vec8({0}), tail});
}
Bytes message(const Bytes& b, std::uint8_t type = 1) {
  return cat({Bytes{type, static_cast<std::uint8_t>(b.size() >> 16), static_cast<std::uint8_t>(b.size() >> 8),
                    static_cast<std::uint8_t>(b.size())},
              b});
}
// The message cut into handshake records of at most `fragment` bytes each.
Bytes records(const Bytes& msg, std::size_t fragment = 16384) {
  Bytes out;
  for (std::size_t i = 0; i < msg.size(); i += fragment) {
    const auto n = std::min(fragment, msg.size() - i);
    out = cat({out, Bytes{22, 3, 1}, u16s({static_cast<std::uint16_t>(n)})});
    out.insert(out.end(), msg.begin() + static_cast<std::ptrdiff_t>(i),
               msg.begin() + static_cast<std::ptrdiff_t>(i + n));
  }
  return out;
}
// The handshake bytes carried by a capture's records.
Bytes unwrap(const Bytes& stream) {
  Bytes out;
  for (std::size_t i = 0; i + 5 <= stream.size();) {
    const std::size_t n = stream[i + 3] << 8 | stream[i + 4];
    out.insert(out.end(), stream.begin() + static_cast<std::ptrdiff_t>(i + 5),
               stream.begin() + static_cast<std::ptrdiff_t>(i + 5 + n));
    i += 5 + n;
  }
  return out;
}

struct Capture {
  const char* file;
  std::optional<std::string> sni;
  std::vector<std::string> alpn;
  std::vector<std::uint16_t> supported_versions;
  std::uint16_t max_version;
};

std::vector<std::string> long_alpn() {
  std::vector<std::string> out{"h2"};
  for (int i = 1; i <= 40; ++i) {
    out.push_back("proto-" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "-abcdefghijklmnop");
  }
  return out;
}

// What scripts/capture_client_hellos.sh asked each client to offer (OpenSSL 3.0 also offers TLS 1.1
// and 1.0 in supported_versions unless limited to one version).
const std::vector<Capture>& captures() {
  const std::vector<std::uint16_t> all_versions = {0x0304, 0x0303, 0x0302, 0x0301};
  static const std::vector<Capture> all = {
      {"openssl_tls13_sni.bin", "www.example.test", {}, {0x0304}, 0x0304},
      {"openssl_tls12_alpn.bin", "www.example.test", {"h2", "http/1.1"}, {}, 0x0303},
      {"openssl_no_sni.bin", std::nullopt, {}, all_versions, 0x0304},
      {"openssl_split_records.bin", "www.example.test", long_alpn(), all_versions, 0x0304},
      {"curl_h2_sni.bin", "www.example.test", {"h2", "http/1.1"}, all_versions, 0x0304},
      {"python_ssl_sni.bin", "www.example.test", {"http/1.1"}, all_versions, 0x0304},
  };
  return all;
}

void expect_capture_fields(const ClientHello& hello, const Capture& c) {
  EXPECT_EQ(hello.sni, c.sni);
  EXPECT_EQ(hello.alpn, c.alpn);
  EXPECT_EQ(hello.supported_versions, c.supported_versions);
  EXPECT_EQ(hello.max_version(), c.max_version);
  EXPECT_EQ(hello.legacy_version, 0x0303);
  EXPECT_FALSE(hello.cipher_suites.empty());
  EXPECT_EQ(std::count(hello.extensions.begin(), hello.extensions.end(), 0), c.sni ? 1 : 0);
  EXPECT_FALSE(hello.ech_offered);
}

TEST(ClientHello, CapturesParseWithTheOfferedFields) {
  for (const auto& c : captures()) {
    SCOPED_TRACE(c.file);
    const Bytes stream = load(c.file);
    const auto r = parse_client_hello(stream);
    ASSERT_TRUE(r.is_complete()) << r.detail;
    EXPECT_EQ(r.consumed, stream.size());
    EXPECT_EQ(r.value.record_version, 0x0301);
    expect_capture_fields(r.value, c);
  }
}

TEST(ClientHello, SplitCaptureReallyUsesSeveralRecords) {
  const Bytes stream = load("openssl_split_records.bin");
  ASSERT_GT(stream.size(), 2 * (512 + 5));
  EXPECT_EQ(stream[517], 22) << "second record header";
  EXPECT_TRUE(parse_client_hello(stream).is_complete());
}

TEST(ClientHello, EveryPrefixOfACaptureNeedsMore) {
  for (const auto& c : captures()) {
    SCOPED_TRACE(c.file);
    const Bytes stream = load(c.file);
    for (std::size_t n = 0; n < stream.size(); ++n) {
      const auto r = parse_client_hello(std::span(stream).first(n));
      ASSERT_TRUE(r.is_need_more()) << "prefix " << n << ": " << r.detail;
    }
  }
}

TEST(ClientHello, BytesAfterTheHelloAreNotConsumed) {
  const Bytes stream = load("curl_h2_sni.bin");
  const auto r = parse_client_hello(cat({stream, Bytes{0x17, 3, 3, 0, 1, 0}}));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed, stream.size());
}

TEST(ClientHello, RefragmentedCapturesParseTheSame) {
  for (const auto& c : captures()) {
    const Bytes msg = unwrap(load(c.file));
    for (const std::size_t fragment : {1, 3, 4, 5, 100, 511}) {
      SCOPED_TRACE(std::string(c.file) + " fragment " + std::to_string(fragment));
      const Bytes stream = records(msg, fragment);
      const auto r = parse_client_hello(stream);
      ASSERT_TRUE(r.is_complete()) << r.detail;
      EXPECT_EQ(r.consumed, stream.size());
      expect_capture_fields(r.value, c);
      if (fragment == 3) {
        for (std::size_t n = 0; n < stream.size(); ++n)
          ASSERT_TRUE(parse_client_hello(std::span(stream).first(n)).is_need_more()) << n;
      }
    }
  }
}

TEST(ClientHello, BareHandshakeMessage) {
  for (const auto& c : captures()) {
    SCOPED_TRACE(c.file);
    const Bytes msg = unwrap(load(c.file));
    const auto r = parse_client_hello_message(msg);
    ASSERT_TRUE(r.is_complete()) << r.detail;
    EXPECT_EQ(r.consumed, msg.size());
    EXPECT_EQ(r.value.record_version, 0);
    expect_capture_fields(r.value, c);
    for (std::size_t n = 0; n < msg.size(); ++n)
      ASSERT_TRUE(parse_client_hello_message(std::span(msg).first(n)).is_need_more()) << n;
  }
  EXPECT_EQ(parse_client_hello_message(message(body({}), 2)).error, ClientHelloError::not_client_hello);
}

TEST(ClientHello, Tls12HelloWithoutExtensions) {
  const auto r = parse_client_hello(records(message(body({}))));
  ASSERT_TRUE(r.is_complete()) << r.detail;
  EXPECT_TRUE(r.value.extensions.empty());
  EXPECT_EQ(r.value.cipher_suites, (std::vector<std::uint16_t>{0x1301, 0xc02f}));
  EXPECT_EQ(r.value.max_version(), 0x0303);
  EXPECT_FALSE(r.value.sni);
}

TEST(ClientHello, ExtensionFieldsAndGrease) {
  const Bytes exts = cat({ext(0x0a0a, {}), sni_ext("WWW.Example.TEST."), alpn_ext({"h2", "http/1.1"}),
                          ext(43, vec8(u16s({0x3a3a, 0x0304, 0x0303}))),
                          ext(10, vec16(u16s({0x4a4a, 29, 23}))), ext(11, vec8({0})),
                          ext(13, vec16(u16s({0x0403, 0x0804}))), ext(0xfe0d, {1, 2}), ext(0xfafa, {0})});
  const auto r = parse_client_hello(records(message(body(vec16(exts)))));
  ASSERT_TRUE(r.is_complete()) << r.detail;
  const auto& h = r.value;
  EXPECT_EQ(h.sni, "www.example.test");
  EXPECT_EQ(h.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(h.supported_versions, (std::vector<std::uint16_t>{0x3a3a, 0x0304, 0x0303}));
  EXPECT_EQ(h.max_version(), 0x0304);
  EXPECT_EQ(h.groups, (std::vector<std::uint16_t>{0x4a4a, 29, 23}));
  EXPECT_EQ(h.ec_point_formats, (std::vector<std::uint8_t>{0}));
  EXPECT_EQ(h.signature_algorithms, (std::vector<std::uint16_t>{0x0403, 0x0804}));
  EXPECT_TRUE(h.ech_offered);
  EXPECT_EQ(h.extensions, (std::vector<std::uint16_t>{0x0a0a, 0, 16, 43, 10, 11, 13, 0xfe0d, 0xfafa}));
}

TEST(ClientHello, OnlyGreaseSupportedVersionsFallBackToLegacy) {
  const auto r = parse_client_hello(records(message(body(vec16(ext(43, vec8(u16s({0x7a7a}))))))));
  ASSERT_TRUE(r.is_complete()) << r.detail;
  EXPECT_EQ(r.value.max_version(), 0x0303);
}

TEST(ClientHello, IsGrease) {
  for (unsigned high = 0x0a; high <= 0xfa; high += 0x10)
    EXPECT_TRUE(is_grease(static_cast<std::uint16_t>(high << 8 | high))) << high;
  for (std::uint16_t v : {0x0000, 0x0a1a, 0x1a0a, 0x0304, 0xfe0d, 0x0a0b}) EXPECT_FALSE(is_grease(v)) << v;
}

TEST(ClientHello, PaddingPastEightKibInSeveralRecords) {
  const Bytes exts = cat({sni_ext("a.example"), ext(21, Bytes(20000, 0))});
  const Bytes stream = records(message(body(vec16(exts))));
  const auto r = parse_client_hello(stream);
  ASSERT_TRUE(r.is_complete()) << r.detail;
  EXPECT_EQ(r.consumed, stream.size());
  EXPECT_EQ(r.value.sni, "a.example");
  const auto small = parse_client_hello(std::span(stream).first(100), 8192);
  EXPECT_EQ(small.error, ClientHelloError::too_large) << "known from the handshake header already";
  EXPECT_EQ(parse_client_hello(stream, stream.size() - 1).error, ClientHelloError::too_large);
  EXPECT_TRUE(parse_client_hello(stream, stream.size()).is_complete());
}

struct Malformed {
  const char* name;
  Bytes stream;
  ClientHelloError error;
};

std::vector<Malformed> malformed_cases() {
  const Bytes good = body(vec16(sni_ext("a.example")));
  const Bytes msg = message(good);
  Bytes lying_extensions = good;
  lying_extensions[good.size() - (sni_ext("a.example").size() + 2)] += 1;  // extensions length + 256
  return {
      {"alert", {21, 3, 3, 0, 2, 2, 40}, ClientHelloError::not_handshake},
      {"application_data", {23, 3, 3, 0, 1, 0}, ClientHelloError::not_handshake},
      {"http_request_one_byte", text("G"), ClientHelloError::not_handshake},
      {"http_request", text("GET / HTTP/1.1\r\n\r\n"), ClientHelloError::not_handshake},
      {"sslv2_style_version", {22, 2}, ClientHelloError::not_handshake},
      {"oversized_first_record", {22, 3, 1, 0x40, 0x01}, ClientHelloError::not_handshake},
      {"zero_length_record", {22, 3, 1, 0, 0}, ClientHelloError::bad_record},
      {"alert_inside_hello", cat({records(Bytes(msg.begin(), msg.begin() + 10)), {21, 3, 3, 0, 2, 2, 40}}),
       ClientHelloError::bad_record},
      {"zero_length_second_record", cat({records(Bytes(msg.begin(), msg.begin() + 10)), {22, 3, 1, 0, 0}}),
       ClientHelloError::bad_record},
      {"server_hello", records(message(good, 2)), ClientHelloError::not_client_hello},
      {"long_session_id", records(message(body({}, Bytes(33, 0)))), ClientHelloError::bad_length},
      {"odd_cipher_suites", records(message(body({}, Bytes(32, 0), Bytes{0x13, 0x01, 0x13}))),
       ClientHelloError::bad_length},
      {"no_cipher_suites", records(message(body({}, Bytes(32, 0), Bytes{}))), ClientHelloError::bad_length},
      {"short_body", records(message(Bytes(20, 3))), ClientHelloError::bad_length},
      {"extensions_length_lies", records(message(lying_extensions)), ClientHelloError::bad_length},
      {"byte_after_extensions", records(message(cat({good, Bytes{0}}))), ClientHelloError::bad_length},
      {"extension_overruns_block", records(message(body(vec16(cat({u16s({5, 10}), Bytes(4, 0)}))))),
       ClientHelloError::bad_length},
      {"one_byte_extensions_block", records(message(body(Bytes{0}))), ClientHelloError::bad_length},
      {"duplicate_extension", records(message(body(vec16(cat({ext(23, {}), ext(23, {})}))))),
       ClientHelloError::duplicate_extension},
      {"empty_host_name", records(message(body(vec16(sni_ext(""))))), ClientHelloError::bad_sni},
      {"dot_host_name", records(message(body(vec16(sni_ext("."))))), ClientHelloError::bad_sni},
      {"host_name_with_space", records(message(body(vec16(sni_ext("a b.example"))))),
       ClientHelloError::bad_sni},
      {"host_name_with_nul", records(message(body(vec16(sni_ext(std::string_view("a\0b", 3)))))),
       ClientHelloError::bad_sni},
      {"empty_label", records(message(body(vec16(sni_ext("a..example"))))), ClientHelloError::bad_sni},
      {"host_name_too_long", records(message(body(vec16(sni_ext(std::string(254, 'a')))))),
       ClientHelloError::bad_sni},
      {"two_host_names",
       records(message(body(
           vec16(ext(0, vec16(cat({Bytes{0}, vec16(text("a.test")), Bytes{0}, vec16(text("b.test"))}))))))),
       ClientHelloError::bad_sni},
      {"empty_server_name_ext", records(message(body(vec16(ext(0, {}))))), ClientHelloError::bad_sni},
      {"server_name_list_lies", records(message(body(vec16(ext(0, {0, 9, 0, 0, 1, 'a'}))))),
       ClientHelloError::bad_sni},
      {"empty_alpn_name", records(message(body(vec16(alpn_ext({"h2", ""}))))), ClientHelloError::bad_alpn},
      {"empty_alpn_list", records(message(body(vec16(ext(16, vec16({})))))), ClientHelloError::bad_alpn},
      {"alpn_name_overruns", records(message(body(vec16(ext(16, vec16({5, 'h', '2'})))))),
       ClientHelloError::bad_alpn},
      {"odd_supported_versions", records(message(body(vec16(ext(43, {3, 3, 4, 3}))))),
       ClientHelloError::bad_extension},
      {"groups_length_lies", records(message(body(vec16(ext(10, {0, 4, 0, 29}))))),
       ClientHelloError::bad_extension},
      {"empty_point_formats", records(message(body(vec16(ext(11, {0}))))), ClientHelloError::bad_extension},
      {"sigalgs_trailing_byte", records(message(body(vec16(ext(13, {0, 2, 4, 3, 0}))))),
       ClientHelloError::bad_extension},
  };
}

TEST(ClientHello, MalformedGiveTheirError) {
  for (const auto& c : malformed_cases()) {
    SCOPED_TRACE(c.name);
    const auto r = parse_client_hello(c.stream);
    ASSERT_TRUE(r.is_error()) << "status " << static_cast<int>(r.status);
    EXPECT_EQ(to_string(r.error), to_string(c.error)) << r.detail;
    EXPECT_FALSE(r.detail.empty());
  }
}

// Feeds `stream` to one assembler in steps of `step` bytes (a longer prefix each
// time, as the peek loop does) and returns the first final result.
ParseResult<ClientHello, ClientHelloError> feed_in_steps(const Bytes& stream, std::size_t step,
                                                         std::size_t max_bytes = 64 * 1024) {
  ClientHelloAssembler assembler(max_bytes);
  for (std::size_t n = step;; n += step) {
    const auto r = assembler.feed(std::span(stream).first(std::min(n, stream.size())));
    if (!r.is_need_more() || n >= stream.size()) return r;
  }
}

TEST(ClientHelloAssembler, EverySplitGivesTheOneShotResult) {
  for (const auto& c : captures()) {
    const Bytes msg = unwrap(load(c.file));
    for (const std::size_t fragment : {std::size_t{3}, std::size_t{100}, msg.size()}) {
      const Bytes stream = records(msg, fragment);
      const auto whole = parse_client_hello(stream);
      ASSERT_TRUE(whole.is_complete());
      for (std::size_t step = 1; step <= stream.size(); step += step < 64 ? 1 : 97) {
        SCOPED_TRACE(std::string(c.file) + " fragment " + std::to_string(fragment) + " step " + std::to_string(step));
        const auto r = feed_in_steps(stream, step);
        ASSERT_TRUE(r.is_complete()) << r.detail;
        EXPECT_EQ(r.consumed, whole.consumed);
        expect_capture_fields(r.value, c);
      }
    }
  }
}

TEST(ClientHelloAssembler, ErrorsAreTheSameFedInPieces) {
  for (const auto& c : malformed_cases()) {
    for (const std::size_t step : {std::size_t{1}, std::size_t{7}}) {
      SCOPED_TRACE(std::string(c.name) + " step " + std::to_string(step));
      const auto r = feed_in_steps(c.stream, step);
      ASSERT_TRUE(r.is_error());
      EXPECT_EQ(to_string(r.error), to_string(c.error)) << r.detail;
    }
  }
  const Bytes big = records(message(body(vec16(cat({sni_ext("a.example"), ext(21, Bytes(20000, 0))})))));
  EXPECT_EQ(feed_in_steps(big, 5, 8192).error, ClientHelloError::too_large);
}

TEST(ClientHello, ErrorNames) {
  EXPECT_EQ(to_string(ClientHelloError::not_handshake), "not_handshake");
  EXPECT_EQ(to_string(ClientHelloError::duplicate_extension), "duplicate_extension");
  EXPECT_EQ(to_string(ClientHelloError::too_large), "too_large");
}

}  // namespace
}  // namespace tlsgate::tls

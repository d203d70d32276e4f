// ICAP request builders: exact bytes of OPTIONS, RESPMOD and REQMOD heads, Encapsulated
// offsets that point at each section, and the chunks of a preview and of the rest.
#include "gateway/icap/icap_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tlsgate::icap {
namespace {

ServiceUri service() {
  std::string error;
  return *parse_service_uri("icap://127.0.0.1:1344/avscan", error);
}

const std::string req_head = "GET /file HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
const std::string res_head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

TEST(IcapRequest, Options) {
  EXPECT_EQ(build_options(service()),
            "OPTIONS icap://127.0.0.1:1344/avscan ICAP/1.0\r\n"
            "Host: 127.0.0.1:1344\r\n"
            "Encapsulated: null-body=0\r\n\r\n");
}

TEST(IcapRequest, RespmodWithPreview) {
  const std::string head = build_modification(ScanKind::respmod, service(), {req_head, res_head, true}, {1024, true});
  const std::string icap_head =
      "RESPMOD icap://127.0.0.1:1344/avscan ICAP/1.0\r\n"
      "Host: 127.0.0.1:1344\r\n"
      "Allow: 204\r\n"
      "Preview: 1024\r\n"
      "Encapsulated: req-hdr=0, res-hdr=46, res-body=84\r\n\r\n";
  EXPECT_EQ(head, icap_head + req_head + res_head);
  // The offsets count from the end of the ICAP head to each section.
  EXPECT_EQ(req_head.size(), 46u);
  EXPECT_EQ(req_head.size() + res_head.size(), 84u);
}

TEST(IcapRequest, RespmodWithoutRequestHeadOrBody) {
  EXPECT_EQ(build_modification(ScanKind::respmod, service(), {"", res_head, false}, {1024, false}),
            "RESPMOD icap://127.0.0.1:1344/avscan ICAP/1.0\r\n"
            "Host: 127.0.0.1:1344\r\n"
            "Encapsulated: res-hdr=0, null-body=38\r\n\r\n" +
                res_head);
}

TEST(IcapRequest, ReqmodCarriesTheRequestOnly) {
  const std::string post = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
  EXPECT_EQ(build_modification(ScanKind::reqmod, service(), {post, res_head, true}, {std::nullopt, true}),
            "REQMOD icap://127.0.0.1:1344/avscan ICAP/1.0\r\n"
            "Host: 127.0.0.1:1344\r\n"
            "Allow: 204\r\n"
            "Encapsulated: req-hdr=0, req-body=" +
                std::to_string(post.size()) + "\r\n\r\n" + post);
}

TEST(IcapRequest, IPv6ServiceInBrackets) {
  std::string error;
  const auto uri = parse_service_uri("icap://[::1]:1345/reqmod?x=1", error);
  ASSERT_TRUE(uri) << error;
  EXPECT_TRUE(build_options(*uri).starts_with("OPTIONS icap://[::1]:1345/reqmod?x=1 ICAP/1.0\r\nHost: [::1]:1345\r\n"));
}

TEST(IcapRequest, Chunks) {
  EXPECT_EQ(chunk(""), "");
  EXPECT_EQ(chunk("abc"), "3\r\nabc\r\n");
  EXPECT_EQ(chunk(std::string(255, 'x')).substr(0, 4), "ff\r\n");
  EXPECT_EQ(preview_end(true), "0; ieof\r\n\r\n");
  EXPECT_EQ(preview_end(false), "0\r\n\r\n");
  EXPECT_EQ(body_end(), "0\r\n\r\n");
  EXPECT_TRUE(is_complete_http_head(res_head));
  EXPECT_FALSE(is_complete_http_head("HTTP/1.1 200 OK\r\n"));
}

}  // namespace
}  // namespace tlsgate::icap

#include "gateway/policy/request_matcher.hpp"

#include <gtest/gtest.h>

namespace tlsgate::policy {
namespace {

TEST(RequestPath, CutsTheQueryAndNormalisesWhatServersTreatAsEqual) {
  struct Case {
    const char* target;
    const char* path;
  };
  const Case cases[] = {
      {"/", "/"},
      {"/secret/", "/secret/"},
      {"/secret/a?x=1", "/secret/a"},
      {"/secret?", "/secret"},
      {"/a#frag", "/a"},
      {"//secret//a", "/secret/a"},
      {"/./secret/", "/secret/"},
      {"/public/../secret/x", "/secret/x"},
      {"/../../secret", "/secret"},
      {"/a/b/..", "/a/"},
      {"/a/.", "/a/"},
      {"/%73ecret/", "/secret/"},          // an unreserved character escaped
      {"/%2e%2E/secret", "/secret"},       // escaped dots are dots
      {"/a%2fb", "/a%2Fb"},                // a reserved character stays escaped, hex upper-cased
      {"/caf%c3%a9", "/caf%C3%A9"},
      {"/bad%zz%4", "/bad%zz%4"},          // broken escapes are kept
      {"/Secret", "/Secret"},              // case is the server's business
      {"http://Host.example/secret/?q", "/secret/"},
      {"https://host.example:8443", "/"},
      {"http://host.example?x", "/"},
      {"*", "*"},
      {"host.example:443", "host.example:443"},
      {"", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    EXPECT_EQ(request_path(c.target), c.path);
  }
}

PathMatcher path(const char* text) {
  std::string why;
  auto m = PathMatcher::parse(text, why);
  EXPECT_TRUE(m) << text << ": " << why;
  return *m;
}

TEST(PathMatcher, ExactMatchesThatPathOnly) {
  const auto m = path("/a/b");
  EXPECT_EQ(m.kind(), PathMatcher::Kind::exact);
  EXPECT_TRUE(m.matches("/a/b"));
  EXPECT_FALSE(m.matches("/a/b/"));
  EXPECT_FALSE(m.matches("/a/bc"));
  EXPECT_FALSE(m.matches("/A/b"));
  EXPECT_TRUE(m.matches(request_path("/a/./b?x")));
  EXPECT_TRUE(path("/a/%62").matches("/a/b")) << "the rule is normalised like the request";
}

TEST(PathMatcher, PrefixMatchesWhatStartsWithIt) {
  const auto m = path("/upload/*");
  EXPECT_EQ(m.kind(), PathMatcher::Kind::prefix);
  EXPECT_EQ(m.to_string(), "/upload/*");
  EXPECT_TRUE(m.matches("/upload/"));
  EXPECT_TRUE(m.matches("/upload/a/b"));
  EXPECT_FALSE(m.matches("/upload")) << "list \"/upload\" too to mean it";
  EXPECT_FALSE(m.matches("/uploads/x"));
  EXPECT_TRUE(m.matches(request_path("//upload//x")));
  const auto bare = path("/up*");
  EXPECT_TRUE(bare.matches("/up"));
  EXPECT_TRUE(bare.matches("/uploads"));
  EXPECT_TRUE(path("/*").matches("/anything"));
}

TEST(PathMatcher, RegexIsUnanchoredRe2) {
  std::string why;
  const auto m = PathMatcher::parse_regex(R"(^/api/v[0-9]+/admin(/|$))", why);
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->kind(), PathMatcher::Kind::regex);
  EXPECT_TRUE(m->matches("/api/v2/admin"));
  EXPECT_TRUE(m->matches("/api/v10/admin/users"));
  EXPECT_FALSE(m->matches("/api/v2/administrator"));
  EXPECT_FALSE(m->matches("/x/api/v2/admin"));
  const auto anywhere = PathMatcher::parse_regex(R"(\.exe$)", why);
  ASSERT_TRUE(anywhere);
  EXPECT_TRUE(anywhere->matches("/downloads/setup.exe"));
  EXPECT_FALSE(anywhere->matches("/downloads/setup.exe.txt"));
}

TEST(PathMatcher, BadPathsAndRegexesSayWhy) {
  struct Case {
    const char* text;
    const char* why_contains;
  };
  const Case paths[] = {
      {"secret/", "must start with '/'"},
      {"/a*/b", "'*' is only allowed at the end"},
      {"/a?x=1", "query string is not matched"},
      {"", "must start with '/'"},
  };
  for (const auto& c : paths) {
    SCOPED_TRACE(c.text);
    std::string why;
    EXPECT_FALSE(PathMatcher::parse(c.text, why));
    EXPECT_NE(why.find(c.why_contains), std::string::npos) << why;
  }
  const Case regexes[] = {
      {"(unclosed", "not a valid RE2 regular expression: missing )"},
      {"(a)\\1", "not a valid RE2 regular expression"},  // back-references are not linear-time
      {"", "1 to 1024 bytes"},
  };
  for (const auto& c : regexes) {
    SCOPED_TRACE(c.text);
    std::string why;
    EXPECT_FALSE(PathMatcher::parse_regex(c.text, why));
    EXPECT_NE(why.find(c.why_contains), std::string::npos) << why;
  }
  std::string why;
  EXPECT_FALSE(PathMatcher::parse_regex(std::string(1025, 'a'), why));
  EXPECT_FALSE(PathMatcher::parse_regex("((((a{100}){100}){100}){100})", why)) << "past the memory cap";
  EXPECT_NE(why.find("RE2"), std::string::npos) << why;
}

TEST(RequestMatcher, EveryListMustMatch) {
  RequestMatcher m;
  EXPECT_TRUE(m.empty());
  m.paths.push_back(path("/secret/*"));
  m.methods = {"GET", "HEAD"};
  m.schemes = {"https"};
  EXPECT_FALSE(m.empty());
  EXPECT_TRUE(m.matches({"/secret/x", "GET", "https"}));
  EXPECT_TRUE(m.matches({"/secret/", "HEAD", "https"}));
  EXPECT_FALSE(m.matches({"/secret/x", "POST", "https"}));
  EXPECT_FALSE(m.matches({"/secret/x", "get", "https"})) << "methods are case-sensitive";
  EXPECT_FALSE(m.matches({"/secret/x", "GET", "http"}));
  EXPECT_FALSE(m.matches({"/public", "GET", "https"}));
  RequestMatcher method_only;
  method_only.methods = {"POST"};
  EXPECT_TRUE(method_only.matches({"/anything", "POST", "http"}));
}

TEST(RequestMatcher, Covers) {
  RequestMatcher any_secret;
  any_secret.paths.push_back(path("/secret/*"));
  RequestMatcher get_secret_a;
  get_secret_a.paths.push_back(path("/secret/a"));
  get_secret_a.methods = {"GET"};
  EXPECT_TRUE(any_secret.covers(get_secret_a));
  EXPECT_FALSE(get_secret_a.covers(any_secret));
  EXPECT_TRUE(RequestMatcher{}.covers(get_secret_a));
  EXPECT_FALSE(get_secret_a.covers(RequestMatcher{}));
}

TEST(Methods, TokensInCapitals) {
  for (const char* m : {"GET", "POST", "PROPFIND", "M-SEARCH"}) EXPECT_TRUE(is_method_name(m)) << m;
  for (const char* m : {"", "get", "G ET", "GET\r"}) EXPECT_FALSE(is_method_name(m)) << m;
}

}  // namespace
}  // namespace tlsgate::policy

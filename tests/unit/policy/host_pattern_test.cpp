#include "gateway/policy/host_pattern.hpp"

#include <gtest/gtest.h>

namespace tlsgate::policy {
namespace {

using Kind = HostPattern::Kind;

TEST(HostPattern, Normalizes) {
  EXPECT_EQ(normalize_host("WWW.Example.COM."), "www.example.com");
  EXPECT_EQ(normalize_host("xn--bcher-kva.de"), "xn--bcher-kva.de");
  EXPECT_EQ(normalize_host("B\xc3\x9c" "cher.de"), "b\xc3\x9c" "cher.de");  // only ASCII is folded
  EXPECT_EQ(normalize_host(""), "");
}

TEST(HostPattern, Kinds) {
  struct Case {
    const char* text;
    Kind kind;
    const char* name;
  };
  const Case cases[] = {
      {"www.example.com", Kind::exact, "www.example.com"},
      {"WWW.Example.com.", Kind::exact, "www.example.com"},
      {"localhost", Kind::exact, "localhost"},
      {"_dmarc.example.com", Kind::exact, "_dmarc.example.com"},
      {"*.example.com", Kind::wildcard, "example.com"},
      {"*.com", Kind::wildcard, "com"},
      {"*.Example.COM.", Kind::wildcard, "example.com"},
      {"*", Kind::never, ""},
      {"*.", Kind::never, ""},
      {"a.*.com", Kind::never, "a.*.com"},
      {"*a.example.com", Kind::never, "*a.example.com"},
      {"*.*.example.com", Kind::never, "*.example.com"},
      {"www..example.com", Kind::never, "www..example.com"},
      {".example.com", Kind::never, ".example.com"},
      {"b\xc3\xbc" "cher.de", Kind::never, "b\xc3\xbc" "cher.de"},
      {"exa mple.com", Kind::never, "exa mple.com"},
      {"10.0.0.1", Kind::exact, "10.0.0.1"},  // an IP in SNI is unusual but legal bytes
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto p = HostPattern::parse(c.text);
    EXPECT_EQ(p.kind, c.kind);
    EXPECT_EQ(p.name, c.name);
    EXPECT_EQ(p.why.empty(), c.kind != Kind::never);
  }
}

TEST(HostPattern, Covers) {
  auto covers = [](const char* a, const char* b) { return HostPattern::parse(a).covers(HostPattern::parse(b)); };
  EXPECT_TRUE(covers("a.example.com", "A.example.com."));
  EXPECT_FALSE(covers("a.example.com", "b.example.com"));
  EXPECT_TRUE(covers("*.example.com", "a.example.com"));
  EXPECT_TRUE(covers("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(covers("*.example.com", "example.com"));
  EXPECT_FALSE(covers("*.example.com", "badexample.com"));
  EXPECT_TRUE(covers("*.example.com", "*.b.example.com"));
  EXPECT_TRUE(covers("*.example.com", "*.example.com"));
  EXPECT_FALSE(covers("*.b.example.com", "*.example.com"));
  EXPECT_FALSE(covers("a.example.com", "*.example.com"));
  EXPECT_FALSE(covers("a.*.com", "a.*.com"));
}

TEST(HostPattern, IsSubdomain) {
  EXPECT_TRUE(is_subdomain("a.example.com", "example.com"));
  EXPECT_FALSE(is_subdomain("example.com", "example.com"));
  EXPECT_FALSE(is_subdomain("xexample.com", "example.com"));
  EXPECT_FALSE(is_subdomain(".example.com", "example.com"));
}

}  // namespace
}  // namespace tlsgate::policy

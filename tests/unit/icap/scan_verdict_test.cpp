// verdict_from: c-icap's real answers (clean, infected by EICAR and by the custom signature,
// REQMOD), the threat headers of other servers, and what is an error.
#include "gateway/icap/scan_verdict.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace tlsgate::icap {
namespace {

IcapResponse parsed(const std::string& bytes) {
  auto r = parse_icap_response(bytes);
  EXPECT_TRUE(r.is_complete()) << r.detail;
  return r.value;
}

IcapResponse fixture(const std::string& name) {
  std::ifstream in(std::string(TLSGATE_TEST_DATA_DIR) + "/icap/" + name, std::ios::binary);
  return parsed({std::istreambuf_iterator<char>(in), {}});
}

TEST(ScanVerdict, CIcapAnswers) {
  struct Case {
    const char* file;
    ScanOutcome outcome;
    const char* threat;
  } cases[] = {
      {"respmod_clean_in_preview_204.bin", ScanOutcome::clean, ""},
      {"respmod_clean_after_continue_204.bin", ScanOutcome::clean, ""},
      {"respmod_eicar_200.bin", ScanOutcome::infected, "Tlsgate.Test.Eicar.UNOFFICIAL"},
      {"respmod_signed_after_continue_200.bin", ScanOutcome::infected, "Tlsgate.Test.Generated.UNOFFICIAL"},
      {"reqmod_eicar_200.bin", ScanOutcome::infected, "Tlsgate.Test.Eicar.UNOFFICIAL"},
      {"options_unknown_service.bin", ScanOutcome::error, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const auto v = verdict_from(fixture(c.file));
    EXPECT_EQ(v.outcome, c.outcome) << v.detail;
    EXPECT_EQ(v.threat, c.threat);
    if (c.outcome == ScanOutcome::infected) {
      EXPECT_TRUE(v.replacement_head.starts_with("HTTP/1.0 403 Forbidden\r\n"));
      EXPECT_NE(v.replacement_body.find(c.threat), std::string::npos);
    }
  }
  EXPECT_EQ(verdict_from(fixture("options_unknown_service.bin")).detail,
            "the ICAP server answered 404 Service not found");
}

TEST(ScanVerdict, ThreatHeaders) {
  const std::string ok = "ICAP/1.0 200 OK\r\n";
  auto v = verdict_from(parsed(ok + "X-Virus-ID: Win.Test.EICAR_HDB-1\r\n\r\n"));
  EXPECT_EQ(v.outcome, ScanOutcome::infected);
  EXPECT_EQ(v.threat, "Win.Test.EICAR_HDB-1");
  // X-Infection-Found without a Threat field falls back to X-Violations-Found.
  v = verdict_from(parsed(
      ok +
      "X-Infection-Found: Type=0; Resolution=2\r\nX-Violations-Found: 1\r\n\tf\r\n\tBad.Thing\r\n\t0\r\n\t0\r\n\r\n"));
  EXPECT_EQ(v.threat, "Bad.Thing");
  v = verdict_from(parsed(ok + "Encapsulated: res-hdr=0, null-body=19\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"));
  EXPECT_EQ(v.outcome, ScanOutcome::error);
  EXPECT_NE(v.detail.find("without naming a threat"), std::string::npos);
  v = verdict_from(parsed("ICAP/1.0 100 Continue\r\n\r\n"));
  EXPECT_EQ(v.outcome, ScanOutcome::error);
}

TEST(ScanVerdict, ThreatFields) {
  EXPECT_EQ(threat_from_infection_found("Type=0; Resolution=2; Threat=Eicar-Test-Signature;"), "Eicar-Test-Signature");
  EXPECT_EQ(threat_from_infection_found("threat = A B ;"), "A B");
  EXPECT_EQ(threat_from_infection_found("Type=0"), "");
  EXPECT_EQ(threat_from_violations_found("1\n-\nName\n0\n0"), "Name");
  EXPECT_EQ(threat_from_violations_found("1"), "");
}

}  // namespace
}  // namespace tlsgate::icap

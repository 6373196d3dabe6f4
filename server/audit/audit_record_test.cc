// The audit record of a call: what it holds and what it never holds.
#include "server/audit/audit_record.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "linkgateway/v1/registrations.pb.h"

namespace linkgateway::server::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace pb = linkgateway::audit::v1;

TEST(AuditRecordTest, HoldsTheFactsButNeverTheSensitiveFields) {
  v1::DeleteRegistrationRequest request;
  request.mutable_dash_replenishment()->set_access_token("Atza|customer-secret-token");
  request.mutable_dash_replenishment()->set_api_version(v1::DASH_REPLENISHMENT_API_VERSION_1_0);
  request.mutable_dash_replenishment()->set_device_model_id("model-a");
  request.mutable_dash_replenishment()->set_device_identifier("serial-1");
  CallFacts facts;
  facts.method = "/linkgateway.v1.RegistrationService/DeleteRegistration";
  facts.caller = {"spiffe://example.org/ops", security::ProvenBy::kMtlsSpiffeId, "ipv4:1.2.3.4:5"};
  facts.start = absl::FromUnixSeconds(1'800'000'000);
  facts.request_id = "req-42";
  facts.trace_id = TraceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  v1::DeleteRegistrationResponse response;
  response.mutable_dash_replenishment();
  adapters::transport::UpstreamTrace trace;
  trace.sends = 2;
  trace.last_http_status = 200;
  auto record = MakeAuditRecord(facts, request, absl::OkStatus(), &response, &trace,
                                facts.start + absl::Milliseconds(250));
  EXPECT_EQ(record.caller().principal(), "spiffe://example.org/ops");
  EXPECT_EQ(record.caller().authenticated_by(), pb::AUTHENTICATION_METHOD_MTLS_SPIFFE_ID);
  EXPECT_EQ(record.provider(), "dash_replenishment");
  EXPECT_EQ(record.target().at("device_model_id"), "model-a");
  EXPECT_EQ(record.target().at("api_version"), "DASH_REPLENISHMENT_API_VERSION_1_0");
  EXPECT_EQ(record.target().count("access_token"), 0u);
  EXPECT_EQ(record.outcome().code(), "OK");
  EXPECT_EQ(record.upstream().attempts(), 2);
  EXPECT_EQ(record.upstream().http_status(), 200);
  EXPECT_EQ(record.latency().nanos(), 250'000'000);
  EXPECT_EQ(record.request_id(), "req-42");
  EXPECT_EQ(record.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_THAT(record.DebugString(), Not(HasSubstr("customer-secret-token")));
}

TEST(AuditRecordTest, CallerTextIsBoundedEvenInARefusal) {
  v1::DeleteRegistrationRequest request;
  request.set_request_id(std::string(65536, 'x'));
  request.mutable_sms_voice()->set_registration_id(std::string(65536, 'r'));
  CallFacts facts;
  facts.method = "/linkgateway.v1.RegistrationService/DeleteRegistration";
  facts.request_id = std::string(65536, 'h');
  auto record = MakeAuditRecord(facts, request, absl::UnauthenticatedError("no"), nullptr, nullptr,
                                absl::Now());
  EXPECT_LE(record.idempotency_id().size(), 128u);
  EXPECT_LE(record.request_id().size(), 128u);
  EXPECT_LE(record.ByteSizeLong(), 1024u);
}

TEST(AuditRecordTest, TraceIdOnlyFromAWellFormedTraceparent) {
  EXPECT_EQ(TraceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(TraceIdOf("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "");
  EXPECT_EQ(TraceIdOf("garbage"), "");
  EXPECT_EQ(TraceIdOf("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"), "");
}

}  // namespace
}  // namespace linkgateway::server::audit

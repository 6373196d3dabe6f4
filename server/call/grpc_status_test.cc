#include "server/call/grpc_status.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapters/errors/status_details.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::server::call {
namespace {

// The trailer a caller decodes: the same error gives the same bytes, with
// ErrorInfo first, however its details were attached.
TEST(GrpcStatusTest, TheSameErrorGivesTheSameTrailerBytes) {
  google::rpc::RequestInfo request;
  request.set_request_id("2946dcf1-301e-44fc-a90b-7cec83043ce1");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(1);
  std::vector<std::string> trailers;
  for (int round = 0; round < 16; ++round) {
    absl::Status status = absl::NotFoundError("Selling Partner API answered HTTP 404");
    if (round % 2) adapters::errors::AttachDetail(status, request);
    adapters::errors::AttachDetail(status, retry);
    status = adapters::errors::WithErrorInfo(std::move(status), "UPSTREAM_NOT_FOUND",
                                 "sellingpartnerapi.amazon.com",
                                 {{"httpStatus", "404"},
                                  {"provider", "Selling Partner API"},
                                  {"upstreamCode", "NotFound"},
                                  {"upstreamRequestId", request.request_id()}});
    if (round % 2 == 0) adapters::errors::AttachDetail(status, request);
    trailers.push_back(ToGrpcStatus(status).error_details());
  }
  for (auto const& trailer : trailers) EXPECT_EQ(trailer, trailers.front());

  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(trailers.front()));
  ASSERT_EQ(rpc.details_size(), 3);
  EXPECT_EQ(rpc.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
  EXPECT_EQ(rpc.details(1).type_url(), "type.googleapis.com/google.rpc.RetryInfo");
  EXPECT_EQ(rpc.details(2).type_url(), "type.googleapis.com/google.rpc.RequestInfo");
}

// Bounding oversized metadata re-packs ErrorInfo: it keeps its place and its
// key order.
TEST(GrpcStatusTest, BoundedDetailsKeepTheirOrder) {
  std::map<std::string, std::string> metadata;
  for (char c = 'a'; c <= 'h'; ++c) metadata[std::string(1, c) + "-key"] = std::string(900, c);
  absl::Status status = adapters::errors::WithErrorInfo(absl::UnavailableError("down"), "UPSTREAM_UNAVAILABLE",
                                            "example.com", metadata);
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(2);
  adapters::errors::AttachDetail(status, retry);
  std::string trailer = ToGrpcStatus(status).error_details();
  EXPECT_LE(trailer.size(), 3072u);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(trailer));
  ASSERT_EQ(rpc.details_size(), 2);
  EXPECT_EQ(rpc.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
  std::string const& info = rpc.details(0).value();
  EXPECT_LT(info.find("a-key"), info.find("b-key"));
  EXPECT_LT(info.find("g-key"), info.find("h-key"));
  EXPECT_EQ(ToGrpcStatus(status).error_details(), trailer);
}

}  // namespace
}  // namespace linkgateway::server::call

// Table-driven checks of a provider's error mapping.
#ifndef LINKGATEWAY_ADAPTERS_TESTING_MAPPING_H_
#define LINKGATEWAY_ADAPTERS_TESTING_MAPPING_H_

#include <ostream>
#include <string>

#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::core::testing {

// An upstream answer (HTTP status, vendor code) and what it must become.
struct VendorRow {
  int http_status;
  std::string vendor_code;
  absl::StatusCode code;
  RetryClass retry;
  std::string reason;
};

inline std::ostream& operator<<(std::ostream& out, VendorRow const& row) {
  return out << row.http_status << " " << row.vendor_code;
}

inline void ExpectMapping(ProviderErrors const& provider, std::string const& domain,
                          VendorRow const& row) {
  UpstreamError error;
  error.provider = &provider;
  error.http_status = row.http_status;
  error.vendor_code = row.vendor_code;
  error.message = "upstream text";
  absl::Status status = MapUpstreamError(error);
  EXPECT_EQ(status.code(), row.code);
  EXPECT_EQ(RetryClassOf(status), row.retry);
  EXPECT_FALSE(ProvablyNotSent(status));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(FindDetail(status, info));
  EXPECT_EQ(info.reason(), row.reason);
  EXPECT_EQ(info.domain(), domain);
  EXPECT_EQ(info.metadata().at("provider"), std::string(provider.display_name));
  EXPECT_THAT(status.message(), ::testing::HasSubstr("upstream text"));
}

}  // namespace linkgateway::core::testing

#endif  // LINKGATEWAY_ADAPTERS_TESTING_MAPPING_H_

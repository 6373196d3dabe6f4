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

namespace linkgateway::adapters::testing {

// An upstream answer (HTTP status, vendor code) and what it must become.
struct VendorRow {
  int http_status;
  std::string vendor_code;
  absl::StatusCode code;
  adapters::errors::RetryClass retry;
  std::string reason;
};

inline std::ostream& operator<<(std::ostream& out, VendorRow const& row) {
  return out << row.http_status << " " << row.vendor_code;
}

inline void ExpectMapping(adapters::errors::ProviderErrors const& provider,
                          std::string const& domain, VendorRow const& row) {
  adapters::errors::UpstreamError error;
  error.provider = &provider;
  error.http_status = row.http_status;
  error.vendor_code = row.vendor_code;
  error.message = "upstream text";
  absl::Status status = adapters::errors::MapUpstreamError(error);
  EXPECT_EQ(status.code(), row.code);
  EXPECT_EQ(adapters::errors::RetryClassOf(status), row.retry);
  EXPECT_FALSE(adapters::errors::ProvablyNotSent(status));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(status, info));
  EXPECT_EQ(info.reason(), row.reason);
  EXPECT_EQ(info.domain(), domain);
  EXPECT_EQ(info.metadata().at("provider"), std::string(provider.display_name));
  EXPECT_THAT(status.message(), ::testing::HasSubstr("upstream text"));
}

}  // namespace linkgateway::adapters::testing

#endif  // LINKGATEWAY_ADAPTERS_TESTING_MAPPING_H_

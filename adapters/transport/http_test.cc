#include "adapters/transport/http.h"

#include "gtest/gtest.h"

namespace linkgateway::adapters::transport {
namespace {

HttpResponse WithRetryAfter(std::string value) {
  HttpResponse response;
  response.status = 503;
  response.headers = {{"content-type", "application/json"}, {"retry-after", std::move(value)}};
  return response;
}

TEST(HttpResponseTest, HeaderLookupIgnoresCase) {
  HttpResponse response = WithRetryAfter("5");
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  EXPECT_EQ(response.Header("x-missing"), "");
}

TEST(RetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(RetryAfter(WithRetryAfter("120"), absl::Now()), absl::Seconds(120));
  EXPECT_EQ(RetryAfter(WithRetryAfter(" 0 "), absl::Now()), absl::ZeroDuration());
}

TEST(RetryAfterTest, HttpDate) {
  absl::Time now = absl::FromCivil(absl::CivilSecond(2015, 10, 21, 7, 27, 0), absl::UTCTimeZone());
  EXPECT_EQ(RetryAfter(WithRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), now), absl::Seconds(60));
  // A date in the past means "now".
  EXPECT_EQ(RetryAfter(WithRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            absl::ZeroDuration());
}

TEST(RetryAfterTest, AbsentOrGarbage) {
  EXPECT_EQ(RetryAfter(HttpResponse(), absl::Now()), std::nullopt);
  EXPECT_EQ(RetryAfter(WithRetryAfter("soon"), absl::Now()), std::nullopt);
  EXPECT_EQ(RetryAfter(WithRetryAfter("-3"), absl::Now()), std::nullopt);
}

}  // namespace
}  // namespace linkgateway::adapters::transport

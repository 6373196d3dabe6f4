#include "adapters/auth/lwa_token_source.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "adapters/testing/fake_http_transport.h"
#include "adapters/testing/manual_scheduler.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::adapters::auth {
namespace {

using testing::FakeHttpTransport;
using ::testing::HasSubstr;
using testing::ManualScheduler;
using ::testing::Not;
using testing::Response;

constexpr char kGranted[] =
    R"({"access_token":"Atza|grantless-1","token_type":"bearer","expires_in":3600,)"
    R"("scope":"sellingpartnerapi::notifications"})";

class LwaTokenSourceTest : public ::testing::Test {
 protected:
  LwaOptions Grantless() {
    LwaOptions options;
    options.token_endpoint = "https://127.0.0.1:1/auth/o2/token";
    options.client_id = "amzn1.application-oa2-client.test";
    options.client_secret = "very-secret value&=";
    options.scope = "sellingpartnerapi::notifications";
    return options;
  }

  // The outcome of one GetToken so far ("pending" while it waits).
  absl::StatusOr<std::string> Get(LwaTokenSource& source) { return *Start(source); }

  // Starts a GetToken; the result fills in when it is answered.
  std::shared_ptr<absl::StatusOr<std::string>> Start(
      LwaTokenSource& source, absl::Duration timeout = absl::Seconds(5),
      std::shared_ptr<adapters::async::Cancellation> cancellation = nullptr) {
    auto result = std::make_shared<absl::StatusOr<std::string>>(absl::UnknownError("pending"));
    source.GetToken(clock_.Now() + timeout, std::move(cancellation),
                    [result](absl::StatusOr<std::string> r) { *result = std::move(r); });
    return result;
  }

  adapters::testing::FakeHttpTransport transport_;
  adapters::testing::ManualScheduler clock_;
};

TEST_F(LwaTokenSourceTest, ClientCredentialsGrantIsFormEncoded) {
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kGranted); });
  LwaTokenSource source(Grantless(), transport_, clock_);
  auto token = Get(source);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "Atza|grantless-1");

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, "https://127.0.0.1:1/auth/o2/token");
  EXPECT_EQ(requests[0].body,
            "grant_type=client_credentials&scope=sellingpartnerapi%3A%3Anotifications"
            "&client_id=amzn1.application-oa2-client.test"
            "&client_secret=very-secret%20value%26%3D");
  EXPECT_THAT(requests[0].headers,
              ::testing::Contains(::testing::Pair(
                  "Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")));
}

TEST_F(LwaTokenSourceTest, RefreshTokenGrant) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return Response(200, R"({"access_token":"Atza|a","refresh_token":"Atzr|r",)"
                         R"("token_type":"bearer","expires_in":3600})");
  });
  LwaOptions options = Grantless();
  options.scope.clear();
  options.refresh_token = "Atzr|r";
  LwaTokenSource source(options, transport_, clock_);
  ASSERT_TRUE(Get(source).ok());
  EXPECT_THAT(transport_.requests()[0].body,
              HasSubstr("grant_type=refresh_token&refresh_token=Atzr%7Cr&client_id="));
}

// A rotated client secret file (Kubernetes swaps the mounted secret) is sent
// from the next token request on.
TEST_F(LwaTokenSourceTest, RotatedClientSecretFileIsSentAtTheNextFetch) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/client_secret";
  std::ofstream(path, std::ios::trunc) << "secret-one\n";
  config::v1::SecretRef ref;
  ref.set_file(path);
  auto secret = config::RotatingSecret::Load(ref, "login_with_amazon.client_secret");
  ASSERT_TRUE(secret.ok()) << secret.status();
  LwaOptions options = Grantless();
  options.client_secret = *secret;
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kGranted); });
  LwaTokenSource source(options, transport_, clock_);
  ASSERT_TRUE(Get(source).ok());
  std::ofstream(path + ".next") << "secret-two\n";
  ASSERT_EQ(std::rename((path + ".next").c_str(), path.c_str()), 0);
  clock_.AdvanceBy(absl::Seconds(3600));  // the token expired: fetch again
  ASSERT_TRUE(Get(source).ok());
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[0].body, ::testing::EndsWith("&client_secret=secret-one"));
  EXPECT_THAT(requests[1].body, ::testing::EndsWith("&client_secret=secret-two"));
}

TEST_F(LwaTokenSourceTest, CachedThenRefreshedAheadThenNeverUsedInItsLastMinute) {
  LwaTokenSource source(Grantless(), transport_, clock_);
  source.Prefetch();
  ASSERT_TRUE(transport_.RespondNext(Response(200, kGranted)));
  // Cached: no request.
  clock_.AdvanceBy(absl::Seconds(3299));
  ASSERT_TRUE(Get(source).ok());
  EXPECT_EQ(source.requests_sent(), 1);
  // Five minutes before expiry: the cached token still answers at once while
  // one refresh starts in the background.
  clock_.AdvanceBy(absl::Seconds(1));
  auto token = Get(source);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "Atza|grantless-1");
  ASSERT_TRUE(Get(source).ok());
  EXPECT_EQ(source.requests_sent(), 2);
  EXPECT_EQ(transport_.waiting(), 1);
  // The refresh never came back; in the last minute the old token is not used.
  clock_.AdvanceBy(absl::Seconds(240));
  auto waiting = Get(source);
  EXPECT_FALSE(waiting.ok());  // still waiting for the refresh
  ASSERT_TRUE(transport_.RespondNext(Response(
      200, R"({"access_token":"Atza|grantless-2","token_type":"bearer","expires_in":3600})")));
  token = Get(source);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "Atza|grantless-2");
  EXPECT_EQ(source.requests_sent(), 2);
}

TEST_F(LwaTokenSourceTest, ConcurrentCallersShareOneRefresh) {
  LwaTokenSource source(Grantless(), transport_, clock_);
  std::vector<std::shared_ptr<absl::StatusOr<std::string>>> results;
  for (int i = 0; i < 50; ++i) results.push_back(Start(source));
  EXPECT_EQ(transport_.waiting(), 1);
  ASSERT_TRUE(transport_.RespondNext(Response(200, kGranted)));
  for (auto const& result : results) {
    ASSERT_TRUE(result->ok()) << result->status();
    EXPECT_EQ(**result, "Atza|grantless-1");
  }
  EXPECT_EQ(source.requests_sent(), 1);
}

TEST_F(LwaTokenSourceTest, AWaitingCallerLeavesAtItsDeadline) {
  LwaTokenSource source(Grantless(), transport_, clock_);
  auto short_wait = Start(source, absl::Seconds(2));
  auto long_wait = Start(source, absl::Seconds(30));
  clock_.AdvanceBy(absl::Seconds(2));
  ASSERT_EQ(short_wait->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(short_wait->status()));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(short_wait->status(), info));
  EXPECT_EQ(info.reason(), "DEADLINE_EXCEEDED");
  EXPECT_EQ(long_wait->status().message(), "pending");
  // The shared refresh goes on and serves whoever still waits.
  ASSERT_TRUE(transport_.RespondNext(Response(200, kGranted)));
  ASSERT_TRUE(long_wait->ok());
  EXPECT_EQ(short_wait->status().code(), absl::StatusCode::kDeadlineExceeded);  // answered once
  clock_.AdvanceBy(absl::Seconds(60));  // the long wait's timer finds nothing to do
  EXPECT_TRUE(long_wait->ok());
}

TEST_F(LwaTokenSourceTest, AWaitingCallerLeavesAtOnceWhenCancelled) {
  LwaTokenSource source(Grantless(), transport_, clock_);
  auto cancellation = std::make_shared<adapters::async::Cancellation>();
  auto cancelled = Start(source, absl::Seconds(30), cancellation);
  auto other = Start(source);
  cancellation->Cancel();
  EXPECT_EQ(cancelled->status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(cancelled->status()));
  EXPECT_EQ(other->status().message(), "pending");
  ASSERT_TRUE(transport_.RespondNext(Response(200, kGranted)));
  EXPECT_TRUE(other->ok());
  EXPECT_EQ(cancelled->status().code(), absl::StatusCode::kCancelled);
}

TEST_F(LwaTokenSourceTest, InvalidateForcesARefresh) {
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kGranted); });
  LwaTokenSource source(Grantless(), transport_, clock_);
  ASSERT_TRUE(Get(source).ok());
  clock_.AdvanceBy(absl::Minutes(5));
  source.Invalidate("Atza|some-older-token");
  ASSERT_TRUE(Get(source).ok());
  EXPECT_EQ(source.requests_sent(), 1);
  source.Invalidate("Atza|grantless-1");
  ASSERT_TRUE(Get(source).ok());
  EXPECT_EQ(source.requests_sent(), 2);
}

// Finding 7 of issue 24: every refusal discarded the token, even one minted
// a moment ago to replace a refused one, so each refused call cost two token
// requests.
TEST_F(LwaTokenSourceTest, ATokenRefusedRightAfterReplacingARefusedOneIsKept) {
  int minted = 0;
  transport_.SetResponder([&minted](adapters::transport::HttpRequest const&) {
    return Response(200, absl::StrCat(R"({"access_token":"Atza|t)", ++minted,
                                      R"(","token_type":"bearer","expires_in":3600})"));
  });
  LwaTokenSource source(Grantless(), transport_, clock_);
  EXPECT_EQ(*Get(source), "Atza|t1");
  clock_.AdvanceBy(absl::Minutes(10));
  source.Invalidate("Atza|t1");  // refused: maybe revoked, so replaced
  EXPECT_EQ(*Get(source), "Atza|t2");
  for (int i = 0; i < 5; ++i) {
    source.Invalidate("Atza|t2");  // the replacement refused too: not its fault
    EXPECT_EQ(*Get(source), "Atza|t2");
    clock_.AdvanceBy(absl::Seconds(5));
  }
  EXPECT_EQ(source.requests_sent(), 2);
  // Older than keep_refused_token_for (30 s): a refusal may be about it.
  clock_.AdvanceBy(absl::Seconds(5));
  source.Invalidate("Atza|t2");
  EXPECT_EQ(*Get(source), "Atza|t3");
  EXPECT_EQ(source.requests_sent(), 3);
}

struct ErrorCase {
  int http_status;
  std::string body;
  absl::StatusCode code;
  adapters::errors::RetryClass retry;
};

class LwaErrorTest : public LwaTokenSourceTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(LwaErrorTest, TokenEndpointErrorsAreMappedAndNeverCached) {
  auto const& c = GetParam();
  transport_.SetResponder([&c](adapters::transport::HttpRequest const&) {
    return Response(c.http_status, c.body, {{"x-amzn-requestid", "lwa-req-9"}});
  });
  LwaTokenSource source(Grantless(), transport_, clock_);
  auto token = Get(source);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), c.code) << token.status();
  EXPECT_EQ(adapters::errors::RetryClassOf(token.status()), c.retry);
  // The call to the real upstream never happened.
  EXPECT_TRUE(adapters::errors::ProvablyNotSent(token.status()));
  EXPECT_THAT(token.status().message(), Not(HasSubstr("very-secret")));
  EXPECT_THAT(adapters::errors::ToRpcStatus(token.status()).SerializeAsString(),
              Not(HasSubstr("very-secret")));
  EXPECT_FALSE(Get(source).ok());
  EXPECT_EQ(source.requests_sent(), 2);
}

INSTANTIATE_TEST_SUITE_P(
    Documented, LwaErrorTest,
    ::testing::Values(
        ErrorCase{
            401, R"({"error_description":"Client authentication failed","error":"invalid_client"})",
            absl::StatusCode::kUnauthenticated, adapters::errors::RetryClass::kNone},
        ErrorCase{
            400,
            R"({"error_description":"The request has an invalid grant parameter : refresh_token","error":"invalid_grant"})",
            absl::StatusCode::kUnauthenticated, adapters::errors::RetryClass::kNone},
        ErrorCase{400, R"({"error":"invalid_scope","error_description":"bad scope"})",
                  absl::StatusCode::kPermissionDenied, adapters::errors::RetryClass::kNone},
        ErrorCase{400, R"({"error":"invalid_request","error_description":"missing grant_type"})",
                  absl::StatusCode::kInternal, adapters::errors::RetryClass::kNone},
        ErrorCase{500, R"({"error":"server_error","error_description":"oops"})",
                  absl::StatusCode::kUnavailable, adapters::errors::RetryClass::kTransient},
        ErrorCase{503, R"({"error":"temporarily_unavailable","error_description":"later"})",
                  absl::StatusCode::kUnavailable, adapters::errors::RetryClass::kTransient},
        ErrorCase{502, "<html>bad gateway</html>", absl::StatusCode::kUnavailable,
                  adapters::errors::RetryClass::kTransient},
        ErrorCase{200, R"({"token_type":"bearer"})", absl::StatusCode::kInternal,
                  adapters::errors::RetryClass::kNone}));

TEST_F(LwaTokenSourceTest, ErrorDetailsNameTheLwaCodeAndRequestId) {
  transport_.SetResponder([](adapters::transport::HttpRequest const&) {
    return Response(
        401, R"({"error_description":"Client authentication failed","error":"invalid_client"})",
        {{"x-amzn-requestid", "lwa-req-9"}});
  });
  LwaTokenSource source(Grantless(), transport_, clock_);
  auto token = Get(source);
  EXPECT_EQ(token.status().message(),
            "Login with Amazon answered HTTP 401 invalid_client: Client authentication failed");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(adapters::errors::FindDetail(token.status(), info));
  EXPECT_EQ(info.reason(), "UPSTREAM_CREDENTIALS_REJECTED");
  EXPECT_EQ(info.metadata().at("upstreamRequestId"), "lwa-req-9");
}


namespace shared {

// A TokenCache in memory, answering at once; `reachable` false: every
// operation fails as an unreachable Redis would.
class FakeTokenCache final : public TokenCache {
 public:
  void Get(adapters::transport::Done<std::optional<Cached>> done) override {
    if (!reachable) return std::move(done)(absl::UnavailableError("down"));
    std::move(done)(cached);
  }
  void Lock(absl::Duration, adapters::transport::Done<bool> done) override {
    if (!reachable) return std::move(done)(absl::UnavailableError("down"));
    bool got = !locked;
    locked = true;
    std::move(done)(got);
  }
  void Put(Cached value, absl::Time) override {
    cached = std::move(value);
    locked = false;
  }
  void Unlock() override { locked = false; }
  void Invalidate(std::string const& token) override {
    if (cached && cached->token == token) cached.reset();
  }

  bool reachable = true;
  bool locked = false;
  std::optional<Cached> cached;
};

class SharedLwaTokenTest : public LwaTokenSourceTest {
 protected:
  LwaOptions WithCache() {
    LwaOptions options = Grantless();
    options.cache = &cache_;
    options.on_cache_fallback = [this] { ++fallbacks_; };
    return options;
  }
  FakeTokenCache cache_;
  int fallbacks_ = 0;
};

TEST_F(SharedLwaTokenTest, AFreshCachedTokenIsUsedWithoutAFetch) {
  cache_.cached = TokenCache::Cached{"Atza|from-another-replica", clock_.Now() + absl::Hours(1)};
  LwaTokenSource source(WithCache(), transport_, clock_);
  EXPECT_EQ(*Get(source), "Atza|from-another-replica");
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(SharedLwaTokenTest, TheReplicaThatGetsTheLockFetchesAndShares) {
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kGranted); });
  LwaTokenSource source(WithCache(), transport_, clock_);
  EXPECT_EQ(*Get(source), "Atza|grantless-1");
  EXPECT_EQ(transport_.requests().size(), 1u);
  ASSERT_TRUE(cache_.cached.has_value());
  EXPECT_EQ(cache_.cached->token, "Atza|grantless-1");
  EXPECT_FALSE(cache_.locked);
}

TEST_F(SharedLwaTokenTest, AnotherReplicaRefreshingMeansWaitingForItsToken) {
  cache_.locked = true;  // another replica fetches
  LwaTokenSource source(WithCache(), transport_, clock_);
  auto token = Start(source);
  EXPECT_EQ(token->status().message(), "pending");
  cache_.cached = TokenCache::Cached{"Atza|theirs", clock_.Now() + absl::Hours(1)};
  cache_.locked = false;
  clock_.AdvanceBy(absl::Milliseconds(200));  // the next look
  ASSERT_TRUE(token->ok()) << token->status();
  EXPECT_EQ(**token, "Atza|theirs");
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(SharedLwaTokenTest, AnUnreachableCacheMeansFetchingOnItsOwn) {
  transport_.SetResponder(
      [](adapters::transport::HttpRequest const&) { return Response(200, kGranted); });
  cache_.reachable = false;
  LwaTokenSource source(WithCache(), transport_, clock_);
  EXPECT_EQ(*Get(source), "Atza|grantless-1");
  EXPECT_EQ(fallbacks_, 1);
}

TEST_F(SharedLwaTokenTest, ARejectedTokenLeavesTheCacheToo) {
  cache_.cached = TokenCache::Cached{"Atza|revoked", clock_.Now() + absl::Hours(1)};
  LwaTokenSource source(WithCache(), transport_, clock_);
  EXPECT_EQ(*Get(source), "Atza|revoked");
  source.Invalidate("Atza|revoked");
  EXPECT_FALSE(cache_.cached.has_value());
}

}  // namespace shared
}  // namespace
}  // namespace linkgateway::adapters::auth

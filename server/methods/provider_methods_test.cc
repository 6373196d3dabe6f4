// Account routing of the provider methods: which account a request is for
// (the one it names, or its provider's default) is what the policy is asked
// about and which account's operation runs; a malformed name is refused
// before the policy is asked, an unknown one after, neither reaching any
// operation. Table-driven over requests in text format.
#include "server/methods/provider_methods.h"

#include <memory>
#include <string>
#include <vector>

#include "adapters/errors/status_details.h"
#include "adapters/testing/validation.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace linkgateway::server::methods {
namespace {

using ::testing::HasSubstr;

// Answers every delete with the registration id and its own name (as the
// ARN), and counts them.
class FakeDeletes final : public adapters::operation::Operation<v1::DeleteRegistrationRequest,
                                                                v1::DeleteRegistrationResponse> {
 public:
  explicit FakeDeletes(std::string account) : account_(std::move(account)) {}
  void Start(adapters::operation::CallContext const&, v1::DeleteRegistrationRequest const& request,
             adapters::operation::Callback<v1::DeleteRegistrationResponse> done) override {
    ++calls;
    v1::DeleteRegistrationResponse response;
    response.mutable_sms_voice()->set_registration_id(request.sms_voice().registration_id());
    response.mutable_sms_voice()->set_registration_arn(account_);
    std::move(done)(response);
  }
  int calls = 0;

 private:
  std::string const account_;
};

absl::Status Ok(v1::DeleteRegistrationRequest const&) { return absl::OkStatus(); }

struct Case {
  std::string name;
  std::string request;        // DeleteRegistrationRequest, text format
  std::string account;        // what the policy is asked for
  std::string served_by;      // the account whose operation ran; "" = none ran
  std::string refused_field;  // the INVALID_ARGUMENT's field, when refused
  bool refused_before_policy = false;
};

class AccountRoutingTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    auto& table = registry_.table<v1::DeleteRegistrationRequest>();
    for (char const* account : {"us", "eu-west"}) {
      fakes_[account] = std::make_shared<FakeDeletes>(account);
      table.Add(v1::DeleteRegistrationRequest::kSmsVoice, account, &Ok, fakes_[account]);
    }
    table.SetDefaultAccount(v1::DeleteRegistrationRequest::kSmsVoice, "eu-west");
    fakes_["dash"] = std::make_shared<FakeDeletes>("dash");
    table.Add(v1::DeleteRegistrationRequest::kDashReplenishment, &Ok, fakes_["dash"]);
    AddProviderMethods(registry_, methods_);
  }

  adapters::operation::ProviderRegistry registry_;
  call::MethodSet methods_;
  std::map<std::string, std::shared_ptr<FakeDeletes>> fakes_;
};

void PrintTo(Case const& c, std::ostream* os) { *os << c.name; }

std::string FieldOf(absl::Status const& status) {
  google::rpc::BadRequest bad;
  if (!adapters::errors::FindDetail(status, bad) || bad.field_violations().empty()) return "";
  return bad.field_violations(0).field();
}

TEST_P(AccountRoutingTest, TheAccountAskedAboutIsTheAccountThatRuns) {
  Case const& c = GetParam();
  auto const* method = methods_.ForRequest(v1::DeleteRegistrationRequest::descriptor());
  ASSERT_NE(method, nullptr);
  auto request = std::make_shared<v1::DeleteRegistrationRequest>(
      adapters::testing::ParseText<v1::DeleteRegistrationRequest>(c.request));

  absl::Status target = method->CheckTarget(*request);
  if (c.refused_before_policy) {
    EXPECT_EQ(target.code(), absl::StatusCode::kInvalidArgument) << target;
    EXPECT_EQ(FieldOf(target), c.refused_field);
    // The caller's text is not repeated.
    EXPECT_THAT(std::string(target.message()), ::testing::Not(HasSubstr("\n")));
    return;
  }
  ASSERT_TRUE(target.ok()) << target;
  auto accesses = method->Accesses(*request);
  ASSERT_EQ(accesses.size(), 1u);
  EXPECT_EQ(accesses[0].account, c.account);
  absl::Status checked = method->Check(*request);
  if (!c.refused_field.empty()) {
    EXPECT_EQ(checked.code(), absl::StatusCode::kInvalidArgument) << checked;
    EXPECT_EQ(FieldOf(checked), c.refused_field);
    EXPECT_THAT(std::string(checked.message()), HasSubstr("no account named"));
    for (auto const& [name, fake] : fakes_) EXPECT_EQ(fake->calls, 0) << name;
    return;
  }
  ASSERT_TRUE(checked.ok()) << checked;
  absl::StatusOr<call::Method::Response> answer;
  method->Run(
      std::make_shared<call::Call>(), request,
      [&answer](absl::StatusOr<call::Method::Response> result) { answer = std::move(result); });
  ASSERT_TRUE(answer.ok()) << answer.status();
  auto const& response = static_cast<v1::DeleteRegistrationResponse const&>(**answer);
  EXPECT_EQ(response.sms_voice().registration_arn(), c.served_by);
  for (auto const& [name, fake] : fakes_) EXPECT_EQ(fake->calls, name == c.served_by ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AccountRoutingTest,
    ::testing::ValuesIn(std::vector<Case>{
        {"NoAccountIsTheDefault", R"(sms_voice { registration_id: "r" })", "eu-west", "eu-west",
         ""},
        {"NamedAccount", R"(sms_voice { registration_id: "r" account: "us" })", "us", "us", ""},
        {"DefaultByItsName", R"(sms_voice { registration_id: "r" account: "eu-west" })", "eu-west",
         "eu-west", ""},
        {"UnknownAccount", R"(sms_voice { registration_id: "r" account: "ap" })", "ap", "",
         "sms_voice.account"},
        {"UpperCase", R"(sms_voice { registration_id: "r" account: "US" })", "", "",
         "sms_voice.account", true},
        {"ControlCharacters", R"(sms_voice { registration_id: "r" account: "us\n" })", "", "",
         "sms_voice.account", true},
        {"TooLong",
         "sms_voice { registration_id: \"r\" account: \"" + std::string(64, 'a') + "\" }", "", "",
         "sms_voice.account", true},
        {"ProviderWithoutAccounts", R"(dash_replenishment { access_token: "t" })", "", "dash", ""},
    }),
    [](::testing::TestParamInfo<Case> const& info) { return info.param.name; });

}  // namespace
}  // namespace linkgateway::server::methods

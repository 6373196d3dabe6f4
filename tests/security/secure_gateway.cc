#include "tests/security/secure_gateway.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "server/security/token_file.h"

namespace linkgateway::tests::security {

std::string ReadFile(std::string const& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(std::string const& path, std::string const& text, int mode) {
  std::ofstream(path, std::ios::trunc) << text;
  chmod(path.c_str(), static_cast<mode_t>(mode));
}

std::string const& SecureGatewayTest::Dir() {
  if (dir_.empty()) {
    auto const* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/", info->test_suite_name(), ".", info->name());
    mkdir(dir_.c_str(), 0700);
  }
  return dir_;
}

tests::testing::TestCertificates const& SecureGatewayTest::Ca() {
  static auto const* ca = [] {
    auto made = tests::testing::MakeTestCertificates();
    if (!made.ok()) {
      ADD_FAILURE() << "cannot make the test CA: " << made.status();
      return new tests::testing::TestCertificates();
    }
    return new tests::testing::TestCertificates(*made);
  }();
  return *ca;
}

std::string SecureGatewayTest::ConfigFor(SecureOptions const& options) {
  std::string const& dir = Dir();
  tokens_path_ = dir + "/tokens.txt";
  std::string tokens;
  for (auto const& [name, token] : options.tokens) {
    absl::StrAppend(&tokens, server::security::HashTokenLine(name, token), "\n");
  }
  WriteFile(tokens_path_, tokens, options.file_mode);
  policy_path_ = dir + "/policy.json";
  WriteFile(policy_path_, options.policy, options.file_mode);
  audit_path_ = options.audit_path.empty() ? dir + "/audit.jsonl" : options.audit_path;
  auto const& ca = Ca();
  return absl::StrCat("tls { cert_file: \"", ca.server_cert, "\" key_file: \"", ca.server_key,
                      "\" client_ca_file: \"", ca.ca_cert, "\" }\n",
                      "authentication { mtls: true token_file: \"", tokens_path_, "\" }\n",
                      "policy_file: \"", policy_path_, "\"\n", "audit { path: \"", audit_path_,
                      "\" ", options.audit_extra, " }\n", options.security_extra);
}

void SecureGatewayTest::StartSecure(SecureOptions options) {
  tests::testing::EmulatedGatewayOptions gateway;
  gateway.security_config = ConfigFor(options);
  gateway.observability_config = options.observability;
  gateway.extra_config = options.extra_config;
  gateway.sms_voice_config = options.sms_voice_config;
  ++starts_;
  StartWith(gateway);
}

std::string SecureGatewayTest::WriteConfig(SecureOptions const& options) {
  std::string config = absl::StrCat("listen_address: \"127.0.0.1:0\"\nsecurity {\n",
                                    ConfigFor(options), "}\n", options.extra_config);
  if (!options.observability.empty()) {
    absl::StrAppend(&config, "observability {\n", options.observability, "\n}\n");
  }
  std::string path = absl::StrCat(Dir(), "/gateway.", ++starts_, ".textproto");
  WriteFile(path, config);
  return path;
}

absl::StatusOr<tests::testing::Completed> SecureGatewayTest::RunExpectingExit(
    std::string const& config) {
  return tests::testing::RunToCompletion(
      {tests::testing::RunfilePath("server/gateway"), "--config=" + config}, absl::Seconds(30));
}

std::shared_ptr<grpc::Channel> SecureGatewayTest::Channel(
    tests::testing::TestCertificate const* client) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(Ca().ca_cert);
  if (client != nullptr) {
    ssl.pem_cert_chain = ReadFile(client->cert);
    ssl.pem_private_key = ReadFile(client->key);
  }
  grpc::ChannelArguments arguments;
  arguments.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per certificate
  return grpc::CreateCustomChannel(env_->address(), grpc::SslCredentials(ssl), arguments);
}

tests::testing::TestCertificate SecureGatewayTest::Certificate(std::string const& name,
                                                               std::string const& subject,
                                                               std::string const& sans) {
  auto made = tests::testing::MakeCertificate(Ca(), name, subject, sans);
  EXPECT_TRUE(made.ok()) << made.status();
  return made.value_or(tests::testing::TestCertificate{});
}

namespace {

grpc::Status Delete(std::shared_ptr<grpc::Channel> const& channel, std::string const& token,
                    std::string const& id, std::string const& request_id, bool validate_only) {
  auto stub = v1::RegistrationService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  v1::DeleteRegistrationRequest request;
  request.mutable_sms_voice()->set_registration_id(id);
  request.set_request_id(request_id);
  request.set_validate_only(validate_only);
  v1::DeleteRegistrationResponse response;
  return stub->DeleteRegistration(&context, request, &response);
}

}  // namespace

grpc::Status SecureGatewayTest::DeleteSms(std::shared_ptr<grpc::Channel> const& channel,
                                          std::string const& token, std::string const& id,
                                          std::string const& request_id) {
  return Delete(channel, token, id, request_id, false);
}

grpc::Status SecureGatewayTest::DryRun(std::shared_ptr<grpc::Channel> const& channel,
                                       std::string const& token) {
  return Delete(channel, token, "reg-dry-run", "", true);
}

void SecureGatewayTest::SeedSms(std::string const& id) {
  auto seeded = env_->Control(tests::testing::Emulator::kSmsVoice, "registrations",
                              absl::StrCat(R"({"RegistrationId":")", id, R"("})"));
  ASSERT_TRUE(seeded.ok()) << seeded.status();
}

int SecureGatewayTest::SmsDeletes() {
  // The tests send the SMS and Voice emulator nothing but deletes.
  return static_cast<int>(env_->Received(tests::testing::Emulator::kSmsVoice, "/").size());
}

std::vector<linkgateway::audit::v1::AuditRecord> SecureGatewayTest::AuditRecords() const {
  std::vector<linkgateway::audit::v1::AuditRecord> records;
  for (absl::string_view line : absl::StrSplit(ReadFile(audit_path_), '\n', absl::SkipEmpty())) {
    linkgateway::audit::v1::AuditRecord record;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &record).ok())
        << line;
    records.push_back(record);
  }
  return records;
}

tests::testing::Completed SecureGatewayTest::Verify(std::vector<std::string> extra_args) const {
  std::vector<std::string> argv = {tests::testing::RunfilePath("server/audit/verify")};
  for (auto& arg : extra_args) argv.push_back(std::move(arg));
  argv.push_back(audit_path_);
  auto completed = tests::testing::RunToCompletion(argv, absl::Seconds(60));
  EXPECT_TRUE(completed.ok()) << completed.status();
  return completed.value_or(tests::testing::Completed{});
}

}  // namespace linkgateway::tests::security

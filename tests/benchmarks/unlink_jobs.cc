// Unlink jobs in bulk (a benchmark, not a test): the real gateway and the
// HTTPS emulators of all four providers, rate limits lifted; N jobs of four
// steps each started at once. Prints jobs/s and the job store's durable
// write time per step, for the SQLite store and a real PostgreSQL.
//
//   bazel run -c opt //tests/benchmarks:unlink_jobs -- --jobs=1000
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "linkgateway/v1/unlink.grpc.pb.h"
#include "tests/testing/child_process.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/postgres_server.h"

ABSL_FLAG(int, jobs, 1000, "jobs to run (four steps each)");
ABSL_FLAG(std::string, stores, "sqlite,postgres", "job stores to measure, comma-separated");
ABSL_FLAG(int, starters, 8, "threads calling StartUnlink");

namespace linkgateway::tests::benchmarks {
namespace {

using tests::testing::Emulator;

constexpr char kApp[] = "a_635736738702976937";

// A sample of the gateway's metrics text: `name` (with its labels), or 0.
double Sample(std::string const& text, std::string const& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, name + " ")) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(name.size() + 1), &value)) return value;
  }
  return 0;
}

int Run(std::string const& store, int jobs) {
  std::unique_ptr<tests::testing::PostgresServer> postgres;
  tests::testing::EmulatedGatewayOptions options;
  options.amazon_args = {"--sp-rate", "100000", "--sp-burst", "100000"};
  options.imiconnect_args = {"--tps", "100000", "--queue-delay-ms", "50"};
  options.selling_partner_config =
      "delete_subscription_rate_limit { requests_per_second: 100000 burst: 100000 }\n";
  std::string dir = getenv("TEST_TMPDIR");
  if (store == "postgres") {
    auto started = tests::testing::PostgresServer::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", std::string(started.status().message()).c_str());
      return 1;
    }
    postgres = *std::move(started);
    std::string file = dir + "/pg-conninfo";
    FILE* f = std::fopen(file.c_str(), "w");
    std::fprintf(f, "%s\n", postgres->conninfo().c_str());
    std::fclose(f);
    options.extra_config = absl::StrCat("unlink { postgres { file: \"", file,
                                        "\" } follow_interval { nanos: 50000000 } "
                                        "max_steps_in_flight: 256 }\n");
  } else {
    options.extra_config = absl::StrCat("unlink { state_directory: \"", dir,
                                        "\" follow_interval { nanos: 50000000 } "
                                        "max_steps_in_flight: 256 }\n");
  }
  auto env = tests::testing::EmulatedGateway::Start(options);
  if (!env.ok()) {
    std::fprintf(stderr, "%s\n", std::string(env.status().message()).c_str());
    return 1;
  }
  // The links, seeded at the emulators.
  std::vector<v1::StartUnlinkRequest> requests(jobs);
  for (int i = 0; i < jobs; ++i) {
    std::string n = absl::StrCat(store, "-", i);
    auto device = (*env)->Control(
        "devices", absl::StrCat(R"({"model":"m","device":"serial-)", n, R"(","slots":{}})"));
    (void)(*env)->Control("subscriptions",
                          absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED",)",
                                       R"("subscriptionId":"sub-)", n, R"("})"));
    (void)(*env)->Control(Emulator::kSmsVoice, "registrations",
                          absl::StrCat(R"({"RegistrationId":"registration-)", n, R"("})"));
    (void)(*env)->Control(Emulator::kImiconnect, "profiles",
                          absl::StrCat(R"({"appId":")", kApp, R"(","customerId":"c-)", n,
                                       R"(","deviceId":"d-)", n, R"("})"));
    auto& r = requests[i];
    r.add_targets()->mutable_dash_replenishment_device()->set_access_token(
        device.ok() ? device->fields().at("accessToken").string_value() : "");
    r.add_targets()->mutable_sms_voice_registration()->set_registration_id(
        absl::StrCat("registration-", n));
    auto* sp = r.add_targets()->mutable_selling_partner_subscription();
    sp->set_notification_type("ANY_OFFER_CHANGED");
    sp->set_subscription_id(absl::StrCat("sub-", n));
    auto* imi = r.add_targets()->mutable_imiconnect_app_profile();
    imi->set_app_id(kApp);
    imi->set_customer_id(absl::StrCat("c-", n));
    imi->set_device_id(absl::StrCat("d-", n));
  }
  auto unlink = v1::UnlinkService::NewStub((*env)->channel());
  auto operations = google::longrunning::Operations::NewStub((*env)->channel());
  std::vector<std::string> names(jobs);
  std::atomic<int> next{0}, refused{0};
  absl::Time start = absl::Now();
  std::vector<std::thread> starters;
  for (int t = 0; t < absl::GetFlag(FLAGS_starters); ++t) {
    starters.emplace_back([&] {
      for (int i = next++; i < jobs; i = next++) {
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
        google::longrunning::Operation op;
        if (unlink->StartUnlink(&context, requests[i], &op).ok()) {
          names[i] = op.name();
        } else {
          ++refused;
        }
      }
    });
  }
  for (auto& t : starters) t.join();
  absl::Duration starting = absl::Now() - start;
  int failed = 0;
  for (auto const& name : names) {
    if (name.empty()) continue;
    google::longrunning::Operation op;
    do {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
      google::longrunning::WaitOperationRequest wait;
      wait.set_name(name);
      wait.mutable_timeout()->set_seconds(20);
      if (!operations->WaitOperation(&context, wait, &op).ok()) break;
    } while (!op.done());
    if (!op.done() || op.has_error()) ++failed;
  }
  absl::Duration total = absl::Now() - start;
  auto metrics = (*env)->Metrics();
  std::string text = metrics.ok() ? *metrics : "";
  double writes = Sample(text, "linkgateway_unlink_store_write_seconds_count");
  double write_seconds = Sample(text, "linkgateway_unlink_store_write_seconds_sum");
  double steps = 0;
  for (char const* state : {"SUCCEEDED", "ALREADY_GONE", "FAILED", "OUTCOME_UNKNOWN"}) {
    for (char const* provider :
         {"dash_replenishment", "sms_voice", "selling_partner", "imiconnect"}) {
      steps += Sample(text, absl::StrCat("linkgateway_unlink_steps_total{provider=\"", provider,
                                         "\",state=\"", state, "\"}"));
    }
  }
  std::printf(
      "| %s | %d | %d | %d | %.1f s | %.1f s | %.1f | %.0f | %.0f | %.2f ms | %.2f ms |\n",
      store.c_str(), jobs, refused.load(), failed, absl::ToDoubleSeconds(starting),
      absl::ToDoubleSeconds(total), jobs / absl::ToDoubleSeconds(total), steps, writes,
      writes > 0 ? 1000 * write_seconds / writes : 0,
      steps > 0 ? 1000 * write_seconds / steps : 0);
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace linkgateway::tests::benchmarks

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Under `bazel run` the emulators and the gateway are in the runfiles.
  linkgateway::tests::testing::UseRunfilesOf(argv[0], "linkgateway-unlink-bench");
  std::printf(
      "| store | jobs | refused | not succeeded | starting | all done | jobs/s | steps | store "
      "writes | per write | store time per step |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  int rc = 0;
  for (absl::string_view store : absl::StrSplit(absl::GetFlag(FLAGS_stores), ',')) {
    rc |= linkgateway::tests::benchmarks::Run(std::string(store), absl::GetFlag(FLAGS_jobs));
  }
  return rc;
}

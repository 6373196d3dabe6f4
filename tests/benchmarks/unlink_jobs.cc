// Unlink jobs in bulk (a benchmark, not a test): the real gateway and the
// HTTPS emulators of all four providers; N jobs of four steps each started
// at once, for the SQLite store and a real PostgreSQL.
//
//   bazel run -c opt //tests/benchmarks:unlink_jobs -- --jobs=1000
//     rate limits lifted: how fast the engine and its store go (jobs/s,
//     store writes and their time per step);
//   bazel run -c opt //tests/benchmarks:unlink_jobs -- --paced --jobs=10000
//     every provider at a limit (--sp_rate, --imi_tps, --sms_rate; Dash
//     Replenishment has no documented one): each provider's achieved rate
//     against its limit, what reached the emulators (every link deleted
//     once, no 429 the gateway caused), and single deletes sent meanwhile,
//     their latency against the same calls before the jobs; with
//     --throttle_sms_for=600, SMS and Voice throttles every call for its
//     first 10 minutes, and the run says when its steps were all done.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "linkgateway/v1/unlink.grpc.pb.h"
#include "tests/testing/child_process.h"
#include "tests/testing/emulated_gateway.h"
#include "tests/testing/postgres_server.h"

ABSL_FLAG(int, jobs, 1000, "jobs to run (four steps each)");
ABSL_FLAG(std::string, stores, "sqlite,postgres", "job stores to measure, comma-separated");
ABSL_FLAG(int, starters, 8, "threads calling StartUnlink");
ABSL_FLAG(bool, paced, false, "every provider at a limit (the flags below), not lifted");
ABSL_FLAG(double, sp_rate, 20, "--paced: the SP-API usage plan, requests/s (documented: 1)");
ABSL_FLAG(double, imi_tps, 50, "--paced: the IMIconnect tenant's transactions/s");
ABSL_FLAG(double, sms_rate, 50, "--paced: the SMS and Voice quota, requests/s");
ABSL_FLAG(double, single_rate, 2, "--paced: single deletes per second sent meanwhile");
ABSL_FLAG(std::string, metrics_out, "", "a file for the gateway's metrics at the end of each run");
ABSL_FLAG(int, throttle_sms_for, 0,
          "seconds SMS and Voice answers every call ThrottlingException from the jobs' start");

namespace linkgateway::tests::benchmarks {
namespace {

using tests::testing::Emulator;

constexpr char kApp[] = "a_635736738702976937";
char const* const kProviders[] = {"dash_replenishment", "sms_voice", "selling_partner",
                                  "imiconnect"};

// A sample of the gateway's metrics text: `name` (with its labels), or 0.
double Sample(std::string const& text, std::string const& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, name + " ")) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(name.size() + 1), &value)) return value;
  }
  return 0;
}

double Finished(std::string const& text, std::string const& provider) {
  double steps = 0;
  for (char const* state : {"SUCCEEDED", "ALREADY_GONE", "FAILED", "OUTCOME_UNKNOWN"}) {
    steps += Sample(text, absl::StrCat("linkgateway_unlink_steps_total{provider=\"", provider,
                                       "\",state=\"", state, "\"}"));
  }
  return steps;
}

// The provider's delete, as its operation label reads.
char const* DeleteOperation(std::string const& provider) {
  if (provider == "selling_partner") return "DeleteSubscription";
  if (provider == "imiconnect") return "DeleteAppProfile";
  return "DeleteRegistration";
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()))];
}

// The gateway's peak resident set, MB.
double PeakRssMb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (!absl::StartsWith(line, "VmHWM:")) continue;
    double kb = 0;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() >= 2 && absl::SimpleAtod(parts[1], &kb)) return kb / 1024;
  }
  return 0;
}

// Single SMS and Voice deletes at `rate`/s until `stop`: each one's
// latency, ms.
std::vector<double> SingleDeletes(std::shared_ptr<grpc::Channel> channel, double rate,
                                  std::string const& prefix, absl::Notification& stop) {
  auto stub = v1::RegistrationService::NewStub(channel);
  std::vector<double> latencies;
  for (int i = 0; !stop.HasBeenNotified(); ++i) {
    v1::DeleteRegistrationRequest request;
    request.mutable_sms_voice()->set_registration_id(absl::StrCat(prefix, i));
    v1::DeleteRegistrationResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    absl::Time start = absl::Now();
    (void)stub->DeleteRegistration(&context, request, &response);  // NOT_FOUND: not seeded
    latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    stop.WaitForNotificationWithTimeout(absl::Seconds(1 / rate));
  }
  return latencies;
}

int Run(std::string const& store, int jobs) {
  bool const paced = absl::GetFlag(FLAGS_paced);
  std::unique_ptr<tests::testing::PostgresServer> postgres;
  tests::testing::EmulatedGatewayOptions options;
  std::map<std::string, double> limit;  // by provider, requests/s; absent: none
  std::string unlink_extra;
  if (paced) {
    limit["selling_partner"] = absl::GetFlag(FLAGS_sp_rate);
    limit["imiconnect"] = absl::GetFlag(FLAGS_imi_tps);
    limit["sms_voice"] = absl::GetFlag(FLAGS_sms_rate);
    options.amazon_args = {"--sp-rate", absl::StrCat(limit["selling_partner"]), "--sp-burst", "5"};
    options.imiconnect_args = {"--tps", absl::StrCat(limit["imiconnect"]), "--queue-delay-ms",
                               "50"};
    options.selling_partner_config = absl::StrCat(
        "delete_subscription_rate_limit { requests_per_second: ", limit["selling_partner"],
        " burst: 5 }\n");
    options.sms_voice_args = {"--rate", absl::StrCat(limit["sms_voice"]), "--burst", "5"};
    options.sms_voice_config =
        absl::StrCat("delete_registration_rate_limit { requests_per_second: ", limit["sms_voice"],
                     " burst: 5 }\n");
    options.imiconnect_config = absl::StrCat(
        "delete_rate_limit { requests_per_second: ", limit["imiconnect"], " burst: 1 }\n");
    unlink_extra = absl::StrCat("max_waiting_steps: ", 4 * jobs + 1000, "\n");
  } else {
    options.amazon_args = {"--sp-rate", "100000", "--sp-burst", "100000"};
    options.imiconnect_args = {"--tps", "100000", "--queue-delay-ms", "50"};
    options.selling_partner_config =
        "delete_subscription_rate_limit { requests_per_second: 100000 burst: 100000 }\n";
  }
  std::string dir = getenv("TEST_TMPDIR");
  std::string where;
  if (store == "postgres") {
    auto started = tests::testing::PostgresServer::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", std::string(started.status().message()).c_str());
      return 1;
    }
    postgres = *std::move(started);
    std::string file = dir + "/pg-conninfo";
    std::ofstream(file) << postgres->conninfo() << "\n";
    where = absl::StrCat("postgres { file: \"", file, "\" }");
  } else {
    where = absl::StrCat("state_directory: \"", dir, "/", store, "-", jobs, "\"");
    std::error_code ignored;
    std::filesystem::create_directories(absl::StrCat(dir, "/", store, "-", jobs), ignored);
  }
  absl::StrAppend(&options.extra_config, "unlink { ", where,
                  " follow_interval { nanos: 50000000 } max_steps_in_flight: 256 ", unlink_extra,
                  "}\n");
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

  // Single deletes before the jobs: the baseline.
  std::vector<double> before;
  double const single_rate = absl::GetFlag(FLAGS_single_rate);
  if (paced) {
    absl::Notification enough;
    std::thread timer([&] {
      absl::SleepFor(absl::Seconds(5));
      enough.Notify();
    });
    before = SingleDeletes((*env)->channel(), single_rate, "single-before-", enough);
    timer.join();
  }

  // A provider that throttles everything for a while: its steps wait it
  // out and finish afterwards on their own.
  int const throttle_for = absl::GetFlag(FLAGS_throttle_sms_for);
  if (throttle_for > 0) {
    auto set = (*env)->Control(
        Emulator::kSmsVoice, "scenarios",
        absl::StrCat(R"({"path":"/","status":400,"times":-1,"ttlMs":)", 1000 * throttle_for,
                     R"(,"body":{"__type":"ThrottlingException","message":"Rate exceeded"}})"));
    if (!set.ok()) {
      std::fprintf(stderr, "%s\n", std::string(set.status().message()).c_str());
      return 1;
    }
  }
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

  // Meanwhile: single deletes, and each provider's finished steps sampled
  // every second (for its steady rate while its queue was not empty).
  absl::Notification done;
  std::vector<double> during;
  std::thread singles;
  if (paced) {
    singles = std::thread(
        [&] { during = SingleDeletes((*env)->channel(), single_rate, "single-during-", done); });
  }
  std::map<std::string, std::vector<std::pair<absl::Time, double>>> samples;
  std::thread sampler([&] {
    while (!done.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      auto text = (*env)->Metrics();
      if (!text.ok()) continue;
      for (char const* provider : kProviders) {
        samples[provider].emplace_back(absl::Now(), Finished(*text, provider));
      }
    }
  });
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
  done.Notify();
  sampler.join();
  if (singles.joinable()) singles.join();

  auto metrics = (*env)->Metrics();
  std::string text = metrics.ok() ? *metrics : "";
  if (std::string out = absl::GetFlag(FLAGS_metrics_out); !out.empty()) {
    std::ofstream(absl::StrCat(out, ".", store)) << text;
  }
  double writes = Sample(text, "linkgateway_unlink_store_write_seconds_count");
  double write_seconds = Sample(text, "linkgateway_unlink_store_write_seconds_sum");
  double steps = 0;
  for (char const* provider : kProviders) steps += Finished(text, provider);
  double rss = PeakRssMb((*env)->gateway().pid());
  std::printf(
      "| %s | %d | %d | %d | %.1f s | %.1f s | %.1f | %.0f | %.0f | %.2f | %.2f ms | %.0f MB |\n",
      store.c_str(), jobs, refused.load(), failed, absl::ToDoubleSeconds(starting),
      absl::ToDoubleSeconds(total), jobs / absl::ToDoubleSeconds(total), steps, writes,
      steps > 0 ? writes / steps : 0, steps > 0 ? 1000 * write_seconds / steps : 0, rss);
  if (paced) {
    std::printf(
        "\n| %s: provider | limit /s | steps done /s | vs limit | deletes sent | "
        "answered 2xx | status reads sent | throttled at the provider |\n"
        "|---|---|---|---|---|---|---|---|\n",
        store.c_str());
    for (char const* provider : kProviders) {
      // Steady rate: from the first sample with a step finished to the
      // last before all of its steps were.
      auto const& s = samples[provider];
      std::size_t first = 0, last = 0;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i].second > 0 && first == 0) first = i;
        if (s[i].second < jobs) last = i;
      }
      double achieved = last > first ? (s[last].second - s[first].second) /
                                           absl::ToDoubleSeconds(s[last].first - s[first].first)
                                     : 0;
      // The deletes the gateway sent, by HTTP status (its own metrics; the
      // single deletes sent meanwhile are SMS and Voice's too).
      std::string prefix =
          absl::StrCat("linkgateway_upstream_requests_total{provider=\"", provider,
                       "\",operation=\"", DeleteOperation(provider), "\",status=\"");
      // IMIconnect's TPS counts its status reads too.
      std::string reads_prefix = absl::StrCat("linkgateway_upstream_requests_total{provider=\"",
                                              provider, "\",operation=\"GetProfileTransaction\"");
      double sent = 0, ok = 0, reads = 0;
      for (absl::string_view line : absl::StrSplit(text, '\n')) {
        bool is_read = absl::StartsWith(line, reads_prefix);
        if (!is_read && !absl::StartsWith(line, prefix)) continue;
        double value = 0;
        auto space = line.rfind(' ');
        if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) {
          continue;
        }
        if (is_read) {
          reads += value;
          continue;
        }
        sent += value;
        if (line.substr(prefix.size(), 1) == "2") ok += value;
      }
      std::string name(provider);
      Emulator emulator = name == "sms_voice"    ? Emulator::kSmsVoice
                          : name == "imiconnect" ? Emulator::kImiconnect
                                                 : Emulator::kAmazon;
      auto it = limit.find(provider);
      std::string throttled =
          name == "dash_replenishment"
              ? "-"
              : absl::StrCat((*env)->StatusCount(emulator, std::string("throttled")));
      // All of a provider's steps done between two samples: no steady rate.
      std::string rate = last > first ? absl::StrFormat("%.1f", achieved) : "-";
      // Against IMIconnect's TPS its calls count: each step's delete and reads.
      if (name == "imiconnect" && sent > 0) achieved *= (sent + reads) / sent;
      std::printf("| %s | %s | %s | %s | %.0f | %.0f | %s | %s |\n", provider,
                  it == limit.end() ? "-" : absl::StrCat(it->second).c_str(), rate.c_str(),
                  it == limit.end() || last <= first
                      ? "-"
                      : absl::StrFormat("%.0f%%", 100 * achieved / it->second).c_str(),
                  sent, ok, name == "imiconnect" ? absl::StrCat(reads).c_str() : "-",
                  throttled.c_str());
    }
    if (throttle_for > 0) {
      // The first sample with all of its steps done, or the run's end when
      // they were done with the last job, before a sample saw them.
      auto const& s = samples["sms_voice"];
      auto all = std::find_if(s.begin(), s.end(), [&](auto const& x) { return x.second >= jobs; });
      absl::Time when = all != s.end() ? all->first : start + total;
      bool done_all = all != s.end() || Finished(text, "sms_voice") >= jobs;
      std::printf(
          "\nSMS and Voice throttled every call for the first %d s: its steps all done %s\n",
          throttle_for,
          done_all ? absl::StrFormat("%.0f s after the start", absl::ToDoubleSeconds(when - start))
                         .c_str()
                   : "(not within the run)");
    }
    std::printf(
        "\nsingle SMS and Voice deletes: before the jobs p50 %.1f ms p99 %.1f ms (%zu); "
        "while they ran p50 %.1f ms p99 %.1f ms (%zu)\n\n",
        Percentile(before, 0.5), Percentile(before, 0.99), before.size(), Percentile(during, 0.5),
        Percentile(during, 0.99), during.size());
  }
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
      "writes | writes per step | store time per step | gateway peak RSS |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  int rc = 0;
  for (absl::string_view store : absl::StrSplit(absl::GetFlag(FLAGS_stores), ',')) {
    rc |= linkgateway::tests::benchmarks::Run(std::string(store), absl::GetFlag(FLAGS_jobs));
  }
  return rc;
}

#include "tests/nemesis/workload.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "linkgateway/v1/app_profiles.grpc.pb.h"
#include "linkgateway/v1/registrations.grpc.pb.h"
#include "linkgateway/v1/subscriptions.grpc.pb.h"
#include "linkgateway/v1/unlink.grpc.pb.h"
#include "tests/testing/rpc_status.h"

namespace linkgateway::tests::nemesis {
namespace {

using tests::testing::Emulator;

constexpr char kApp[] = "a_635736738702976937";
constexpr char kCustomer[] = "c-nemesis";

std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

// What a client retries, with the same request_id: nothing was sent, the
// first call still runs, or its outcome was lost on the way back.
bool Retryable(grpc::Status const& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

v1::UnlinkTarget TargetOf(Provider provider, std::string const& id) {
  v1::UnlinkTarget target;
  switch (provider) {
    case Provider::kImiconnect: {
      auto* imi = target.mutable_imiconnect_app_profile();
      imi->set_app_id(kApp);
      imi->set_customer_id(kCustomer);
      imi->set_device_id(id);
      break;
    }
    case Provider::kSmsVoice:
      target.mutable_sms_voice_registration()->set_registration_id(id);
      break;
    case Provider::kSellingPartner: {
      auto* sp = target.mutable_selling_partner_subscription();
      sp->set_notification_type("ANY_OFFER_CHANGED");
      sp->set_subscription_id(id);
      break;
    }
  }
  return target;
}

}  // namespace

char const* ProviderName(Provider provider) {
  switch (provider) {
    case Provider::kImiconnect:
      return "imiconnect";
    case Provider::kSmsVoice:
      return "sms_voice";
    case Provider::kSellingPartner:
      return "selling_partner";
  }
  return "?";
}

int MaxDeletes(Provider provider) { return provider == Provider::kImiconnect ? 1 : 3; }

std::string NewRequestId() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  std::uint64_t a = random(), b = random();
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                         0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

void Ledger::SetWindow(std::string window) {
  absl::MutexLock lock(&mu_);
  windows_.emplace_back(absl::Now(), std::move(window));
}

std::string Ledger::window() const {
  absl::MutexLock lock(&mu_);
  return windows_.empty() ? "setup" : windows_.back().second;
}

std::string Ledger::WindowAt(absl::Time t) const {
  absl::MutexLock lock(&mu_);
  std::string found = "setup";
  for (auto const& [start, name] : windows_) {
    if (start > t) break;
    found = name;
  }
  return found;
}

std::vector<std::string> Ledger::windows() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (auto const& [start, name] : windows_) names.push_back(name);
  return names;
}

void Ledger::Add(CallRecord record) {
  absl::MutexLock lock(&mu_);
  calls_.push_back(std::move(record));
}

void Ledger::AddJob(JobRecord job) {
  absl::MutexLock lock(&mu_);
  jobs_.push_back(std::move(job));
}

std::vector<CallRecord> Ledger::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

std::vector<JobRecord> Ledger::jobs() const {
  absl::MutexLock lock(&mu_);
  return jobs_;
}

void Workload::Start() {
  for (int worker = 0; worker < 2; ++worker) {
    threads_.emplace_back([this, worker] { DeleteWorker(worker); });
  }
  for (int worker = 0; worker < 2; ++worker) {
    threads_.emplace_back([this] { JobWorker(); });
  }
  threads_.emplace_back([this] { ProbeWorker(); });
}

void Workload::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

bool Workload::Seed(Provider provider, std::string const& target) {
  auto& env = cluster_.env();
  switch (provider) {
    case Provider::kImiconnect:
      return env
          .Control(Emulator::kImiconnect, "profiles",
                   absl::StrCat(R"({"appId":")", kApp, R"(","customerId":")", kCustomer,
                                R"(","deviceId":")", target, R"("})"))
          .ok();
    case Provider::kSmsVoice:
      return env
          .Control(Emulator::kSmsVoice, "registrations",
                   absl::StrCat(R"({"RegistrationId":")", target, R"("})"))
          .ok();
    case Provider::kSellingPartner:
      return env
          .Control(Emulator::kAmazon, "subscriptions",
                   absl::StrCat(R"({"notificationType":"ANY_OFFER_CHANGED","subscriptionId":")",
                                target, R"("})"))
          .ok();
  }
  return false;
}

grpc::Status Workload::Delete(Provider provider, int replica, std::string const& target,
                              std::string const& request_id, absl::Duration deadline,
                              bool* replayed) {
  auto channel = cluster_.Channel(replica);
  auto context = Context(deadline);
  v1::UnlinkTarget key = TargetOf(provider, target);
  grpc::Status status;
  switch (provider) {
    case Provider::kImiconnect: {
      v1::DeleteAppProfileRequest request;
      *request.mutable_imiconnect() = key.imiconnect_app_profile();
      request.set_request_id(request_id);
      v1::DeleteAppProfileResponse response;
      status = v1::AppProfileService::NewStub(channel)->DeleteAppProfile(context.get(), request,
                                                                         &response);
      *replayed = response.replayed();
      break;
    }
    case Provider::kSmsVoice: {
      v1::DeleteRegistrationRequest request;
      *request.mutable_sms_voice() = key.sms_voice_registration();
      request.set_request_id(request_id);
      v1::DeleteRegistrationResponse response;
      status = v1::RegistrationService::NewStub(channel)->DeleteRegistration(context.get(),
                                                                             request, &response);
      *replayed = response.replayed();
      break;
    }
    case Provider::kSellingPartner: {
      v1::DeleteSubscriptionRequest request;
      *request.mutable_selling_partner() = key.selling_partner_subscription();
      request.set_request_id(request_id);
      v1::DeleteSubscriptionResponse response;
      status = v1::SubscriptionService::NewStub(channel)->DeleteSubscription(context.get(),
                                                                             request, &response);
      *replayed = response.replayed();
      break;
    }
  }
  return status;
}

void Workload::DeleteWorker(int worker) {
  // Worker 0 also paces the SP-API deletes (the plan: 1 a second, burst 5,
  // for every replica together).
  Provider const mix[] = {Provider::kImiconnect, Provider::kSmsVoice, Provider::kImiconnect,
                          Provider::kSmsVoice, Provider::kSellingPartner};
  for (int round = 0; !stop_.HasBeenNotified(); ++round) {
    Provider provider = mix[round % 5];
    if (provider == Provider::kSellingPartner && worker != 0) provider = Provider::kSmsVoice;
    CallRecord record;
    record.window = ledger_.window();
    record.kind = "delete";
    record.provider = provider;
    record.target = absl::StrCat("nm-", worker, "-", sequence_.fetch_add(1));
    record.request_id = NewRequestId();
    record.replica = (worker + round) % kReplicas;
    record.deadline = absl::Seconds(5);
    record.start = absl::Now();
    if (!Seed(provider, record.target)) {
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
      continue;
    }
    // The caller's own retries: the same request_id, the next replica.
    absl::Time give_up = absl::Now() + absl::Seconds(20);
    grpc::Status status;
    for (record.attempts = 1;; ++record.attempts) {
      int replica = (record.replica + record.attempts - 1) % kReplicas;
      status = Delete(provider, replica, record.target, record.request_id, record.deadline,
                      &record.replayed);
      if (!Retryable(status) || record.attempts >= 6 || absl::Now() > give_up ||
          stop_.HasBeenNotified()) {
        break;
      }
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(300));
    }
    record.code = status.error_code();
    record.reason = tests::testing::ErrorInfoOf(status).reason();
    record.message = status.error_message();
    record.latency = absl::Now() - record.start;
    ledger_.Add(std::move(record));
    stop_.WaitForNotificationWithTimeout(
        provider == Provider::kSellingPartner ? absl::Milliseconds(2500) : absl::Milliseconds(150));
  }
}

void Workload::JobWorker() {
  for (int n = 0; !stop_.HasBeenNotified(); ++n) {
    JobRecord job;
    job.window = ledger_.window();
    job.request_id = NewRequestId();
    job.sqlite = n % 3 == 2;  // a third go to replica 2's own store
    int seq = sequence_.fetch_add(1);
    job.targets = {{Provider::kImiconnect, absl::StrCat("jb-", seq, "-imi")},
                   {Provider::kSmsVoice, absl::StrCat("jb-", seq, "-sms")}};
    bool seeded = true;
    v1::StartUnlinkRequest request;
    request.set_request_id(job.request_id);
    for (auto const& [provider, target] : job.targets) {
      seeded = seeded && Seed(provider, target);
      *request.add_targets() = TargetOf(provider, target);
    }
    if (!seeded) {
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500));
      continue;
    }
    CallRecord record;
    record.window = job.window;
    record.kind = "job_start";
    record.request_id = job.request_id;
    record.deadline = absl::Seconds(5);
    record.start = absl::Now();
    // Retried within the same store: another store would make another job.
    grpc::Status status;
    google::longrunning::Operation op;
    for (record.attempts = 1;; ++record.attempts) {
      record.replica = job.sqlite ? kSqliteReplica : (n + record.attempts) % 2;
      auto context = Context(record.deadline);
      status = v1::UnlinkService::NewStub(cluster_.Channel(record.replica))
                   ->StartUnlink(context.get(), request, &op);
      if (!Retryable(status) || record.attempts >= 6 || stop_.HasBeenNotified()) break;
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500));
    }
    record.code = status.error_code();
    record.reason = tests::testing::ErrorInfoOf(status).reason();
    record.message = status.error_message();
    record.latency = absl::Now() - record.start;
    if (status.ok()) {
      job.name = op.name();
      ledger_.AddJob(job);
    }
    ledger_.Add(std::move(record));
    stop_.WaitForNotificationWithTimeout(absl::Milliseconds(1500));
  }
}

void Workload::ProbeWorker() {
  char const* dependencies[] = {"shared_state", "job_store", "audit_trail"};
  for (int n = 0; !stop_.HasBeenNotified(); ++n) {
    int replica = n % kReplicas;
    auto health = grpc::health::v1::Health::NewStub(cluster_.Channel(replica));
    for (int d = -1; d < 3; ++d) {
      std::string service = d < 0 ? "" : absl::StrCat("linkgateway.dependency.", dependencies[d]);
      CallRecord record;
      record.window = ledger_.window();
      record.kind = d < 0 ? "health" : absl::StrCat("dependency:", dependencies[d]);
      record.replica = replica;
      record.deadline = absl::Seconds(1);
      record.start = absl::Now();
      grpc::health::v1::HealthCheckRequest request;
      request.set_service(service);
      grpc::health::v1::HealthCheckResponse response;
      auto context = Context(record.deadline);
      grpc::Status status = health->Check(context.get(), request, &response);
      record.latency = absl::Now() - record.start;
      record.code = status.error_code();
      record.reason = status.ok() ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                                        response.status())
                                  : status.error_message();
      ledger_.Add(std::move(record));
    }
    if (n % 4 == 0) {
      // A delete no fault of a dependency should slow: SMS and Voice,
      // without a request_id.
      CallRecord record;
      record.window = ledger_.window();
      record.kind = "unrelated_delete";
      record.provider = Provider::kSmsVoice;
      record.target = absl::StrCat("un-", sequence_.fetch_add(1));
      record.replica = replica;
      record.deadline = absl::Seconds(4);
      if (Seed(Provider::kSmsVoice, record.target)) {
        record.start = absl::Now();
        grpc::Status status =
            Delete(Provider::kSmsVoice, replica, record.target, "", record.deadline,
                   &record.replayed);
        record.latency = absl::Now() - record.start;
        record.code = status.error_code();
        record.reason = tests::testing::ErrorInfoOf(status).reason();
        record.message = status.error_message();
        ledger_.Add(std::move(record));
      }
    }
    stop_.WaitForNotificationWithTimeout(absl::Milliseconds(250));
  }
}

}  // namespace linkgateway::tests::nemesis

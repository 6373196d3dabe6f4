// What the audit trail's hash chain costs per record, measured in isolation
// on a typical record: its JSON line alone (what the trail wrote before the
// chain), the line's SHA-256 (the next record's previous_hash) and the
// file's running SHA-256, per record; Ed25519 per file; the readiness check
// every destructive call makes (a one-byte fallocate inside the reserve) on
// the file system of $TMPDIR; and how fast `verify` checks a trail.
//
//   bazel run -c opt //tests/benchmarks:audit_chain
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "linkgateway/v1/registrations.pb.h"
#include "observability/json/proto_json.h"
#include "server/audit/audit_log.h"
#include "server/audit/audit_record.h"
#include "server/audit/signing.h"
#include "server/audit/trail_file.h"
#include "server/audit/verifier.h"

namespace {

namespace audit = linkgateway::server::audit;
using linkgateway::audit::v1::AuditRecord;

// A delete's record as the call path builds it.
AuditRecord Record() {
  linkgateway::v1::DeleteRegistrationRequest request;
  request.mutable_dash_replenishment()->set_access_token("Atza|never-in-the-record");
  request.mutable_dash_replenishment()->set_api_version(
      linkgateway::v1::DASH_REPLENISHMENT_API_VERSION_1_0);
  request.mutable_dash_replenishment()->set_device_model_id("model-a");
  request.mutable_dash_replenishment()->set_device_identifier("demo-device-1");
  linkgateway::v1::DeleteRegistrationResponse response;
  response.mutable_dash_replenishment();
  audit::CallFacts facts;
  facts.method = "/linkgateway.v1.RegistrationService/DeleteRegistration";
  facts.caller = {"spiffe://example.org/ns/prod/sa/billing",
                  linkgateway::server::security::ProvenBy::kMtlsSpiffeId, "ipv4:127.0.0.1:50524"};
  facts.start = absl::Now();
  facts.request_id = "checkout-42";
  facts.policy_rule = "billing-deletes";
  linkgateway::adapters::transport::UpstreamTrace trace;
  trace.sends = 1;
  trace.last_http_status = 200;
  AuditRecord record = audit::MakeAuditRecord(facts, request, absl::OkStatus(), &response, &trace,
                                              facts.start + absl::Microseconds(1234));
  record.set_sequence(123456);
  record.set_previous_hash(std::string(64, 'a'));
  return record;
}

template <typename F>
double NanosPer(int n, F f) {
  absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) f(i);
  return absl::ToDoubleNanoseconds(absl::Now() - start) / n;
}

// A fresh Ed25519 key in `path` (mode 600).
void WriteKey(std::string const& path) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  chmod(path.c_str(), 0600);
  EVP_PKEY_free(key);
}

}  // namespace

int main() {
  constexpr int kRecords = 200000;
  AuditRecord record = Record();
  std::string line = linkgateway::observability::json::ProtoJson(record);
  std::printf("record: %zu bytes of JSON\n", line.size());
  volatile std::size_t sink = 0;
  double json = NanosPer(kRecords, [&](int) {
    sink = sink + linkgateway::observability::json::ProtoJson(record).size();
  });
  double line_hash = NanosPer(kRecords, [&](int) { sink = sink + audit::Sha256Hex(line).size(); });
  audit::RunningSha256 running;
  double file_digest = NanosPer(kRecords, [&](int) {
    running.Update(line);
    running.Update("\n");
  });
  std::printf("%-58s %8.0f ns\n", "JSON line (the trail's cost before the chain)", json);
  std::printf("%-58s %8.0f ns\n", "chain: SHA-256 of the line (next previous_hash)", line_hash);
  std::printf("%-58s %8.0f ns\n", "chain: the file's running SHA-256", file_digest);
  std::printf("%-58s %8.0f ns (%.0f%% of the JSON line)\n", "chain per record, total",
              line_hash + file_digest, 100 * (line_hash + file_digest) / json);

  char const* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/chain_benchmark.",
                                 absl::ToUnixNanos(absl::Now()));
  mkdir(dir.c_str(), 0700);
  WriteKey(dir + "/key.pem");
  auto signer = audit::LoadSigningKey(dir + "/key.pem");
  if (!signer.ok()) {
    std::printf("signing key: %s\n", std::string(signer.status().message()).c_str());
    return 1;
  }
  std::string text = audit::DigestSigningText(std::string(64, 'b'), 104857600, 123456);
  double sign = NanosPer(2000, [&](int) { sink = sink + (*signer)->Sign(text).size(); });
  std::printf("%-58s %8.1f us\n", "Ed25519 signature, per file (rotation, shutdown)", sign / 1000);

  {
    audit::AuditLog log({dir + "/ready.jsonl"});
    double ready = NanosPer(100000, [&](int) { sink = sink + log.Ready().ok(); });
    std::printf("%-58s %8.0f ns\n", "Ready() per destructive call (fallocate 1 byte)", ready);
  }

  // A trail of 50,000 records in 5 files, written and verified.
  std::string trail = dir + "/trail.jsonl";
  {
    audit::AuditLog::Options options;
    options.path = trail;
    options.max_file_bytes = 5 * 1024 * 1024;
    audit::AuditLog log(options);
    for (int batch = 0; batch < 500; ++batch) {
      std::vector<std::unique_ptr<absl::Notification>> done;
      for (int i = 0; i < 100; ++i) {
        done.push_back(std::make_unique<absl::Notification>());
        log.Append(record, [d = done.back().get()](absl::Status) { d->Notify(); });
      }
      for (auto& d : done) d->WaitForNotification();
    }
  }
  absl::Time start = absl::Now();
  audit::VerifyReport report = audit::VerifyTrail(trail, nullptr);
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("verify: %llu records in %.2f s (%.0f records/s): %s\n",
              static_cast<unsigned long long>(report.records), seconds, report.records / seconds,
              report.intact ? "intact" : report.problem.c_str());
  std::string cleanup = absl::StrCat("rm -rf '", dir, "'");
  return std::system(cleanup.c_str()) == 0 && report.intact ? 0 : 1;
}

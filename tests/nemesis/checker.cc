#include "tests/nemesis/checker.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/longrunning/operations.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "linkgateway/audit/v1/audit.pb.h"
#include "linkgateway/v1/unlink.pb.h"

namespace linkgateway::tests::nemesis {
namespace {

using tests::testing::Emulator;

std::string LastSegment(std::string const& path) {
  std::string clean = path.substr(0, path.find('?'));
  return clean.substr(clean.rfind('/') + 1);
}

std::string Field(google::protobuf::Struct const& s, std::string const& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

absl::Time At(google::protobuf::Struct const& s) {
  auto it = s.fields().find("at");
  return it == s.fields().end() ? absl::InfinitePast()
                                : absl::FromUnixMicros(static_cast<std::int64_t>(
                                      it->second.number_value() * 1e6));
}

// The fault whose window (or recovery) `window` is; nullptr for baseline,
// final and setup.
Fault const* FaultOf(std::vector<Fault> const& faults, std::string const& window) {
  for (auto const& fault : faults) {
    if (window == fault.name || window == fault.name + "/recovery") return &fault;
  }
  return nullptr;
}

// The row a window's figures go to: a fault and its recovery together.
std::string RowOf(std::string const& window) {
  return absl::StrContains(window, "/") ? window.substr(0, window.find('/')) : window;
}

void ReadEmulators(Cluster& cluster, Ledger const& ledger, Evidence& evidence) {
  auto& env = cluster.env();
  auto count = [&](Provider provider, std::string const& target, absl::Time at) {
    TargetKey key{provider, target};
    if (evidence.deletes[key]++ == 0) evidence.delete_window[key] = ledger.WindowAt(at);
  };
  for (auto const& r : env.Received(Emulator::kImiconnect, "/resources/v2/customerappprofile/")) {
    if (Field(r, "method") == "DELETE") count(Provider::kImiconnect, LastSegment(Field(r, "path")), At(r));
  }
  for (auto const& r : env.Received(Emulator::kAmazon, "/notifications/v1/subscriptions/")) {
    if (Field(r, "method") == "DELETE") {
      count(Provider::kSellingPartner, LastSegment(Field(r, "path")), At(r));
    }
  }
  for (auto const& r : env.Received(Emulator::kSmsVoice, "/")) {
    auto headers = r.fields().find("headers");
    if (headers == r.fields().end() ||
        Field(headers->second.struct_value(), "x-amz-target") !=
            "PinpointSMSVoiceV2.DeleteRegistration") {
      continue;
    }
    google::protobuf::Struct body;
    if (!google::protobuf::util::JsonStringToMessage(Field(r, "body"), &body).ok()) continue;
    count(Provider::kSmsVoice, Field(body, "RegistrationId"), At(r));
  }
  evidence.http_429 = env.StatusCount(Emulator::kAmazon, 429);
}

void ReadAuditTrails(Cluster& cluster, Evidence& evidence) {
  google::protobuf::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  for (auto const& path : cluster.audit_paths()) {
    for (int rotated = 0; rotated <= 10; ++rotated) {
      std::ifstream in(rotated == 0 ? path : absl::StrCat(path, ".", rotated));
      if (!in) continue;
      for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        linkgateway::audit::v1::AuditRecord record;
        if (!google::protobuf::util::JsonStringToMessage(line, &record, lenient).ok()) {
          ++evidence.audit_unreadable;
          continue;
        }
        ++evidence.audit_records;
        auto const& target = record.target();
        std::string id;
        Provider provider;
        if (record.provider() == "imiconnect" && target.count("device_id")) {
          provider = Provider::kImiconnect;
          id = target.at("device_id");
        } else if (record.provider() == "sms_voice" && target.count("registration_id")) {
          provider = Provider::kSmsVoice;
          id = target.at("registration_id");
        } else if (record.provider() == "selling_partner" && target.count("subscription_id")) {
          provider = Provider::kSellingPartner;
          id = target.at("subscription_id");
        } else {
          continue;
        }
        evidence.audited_attempts[{provider, id}] += record.upstream().attempts();
      }
    }
  }
}

void ReadJobs(Cluster& cluster, Ledger const& ledger, absl::Duration job_wait,
              Evidence& evidence) {
  absl::Time give_up = absl::Now() + job_wait;
  std::vector<JobRecord> pending = ledger.jobs();
  while (!pending.empty()) {
    std::vector<JobRecord> still;
    for (auto const& job : pending) {
      google::longrunning::GetOperationRequest request;
      request.set_name(job.name);
      google::longrunning::Operation op;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
      grpc::Status status =
          google::longrunning::Operations::NewStub(cluster.Channel(job.sqlite ? kSqliteReplica : 0))
              ->GetOperation(&context, request, &op);
      JobOutcome& outcome = evidence.jobs[job.name];
      outcome.done = status.ok() && op.done();
      v1::UnlinkMetadata metadata;
      std::vector<std::string> states;
      if (status.ok() && op.metadata().UnpackTo(&metadata)) {
        for (auto const& step : metadata.steps()) {
          states.push_back(std::string(absl::StripPrefix(
              v1::UnlinkStepState_Name(step.state()), "UNLINK_STEP_STATE_")));
        }
      } else if (!status.ok()) {
        states.push_back(absl::StrCat("(", status.error_message().substr(0, 80), ")"));
      }
      outcome.states = absl::StrJoin(states, ",");
      if (!outcome.done) still.push_back(job);
    }
    pending = std::move(still);
    if (pending.empty() || absl::Now() > give_up) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
}

}  // namespace

absl::StatusOr<Evidence> Gather(Cluster& cluster, Ledger const& ledger, absl::Duration job_wait) {
  Evidence evidence;
  ReadJobs(cluster, ledger, job_wait, evidence);
  ReadEmulators(cluster, ledger, evidence);
  ReadAuditTrails(cluster, evidence);
  return evidence;
}

std::vector<Violation> Check(Evidence const& evidence, Ledger const& ledger,
                             std::vector<Fault> const& faults) {
  std::vector<Violation> violations;
  for (auto const& [key, n] : evidence.deletes) {
    std::string window = evidence.delete_window.at(key);
    std::string what = absl::StrCat(ProviderName(key.first), " ", key.second, ": ", n,
                                    " DELETE", n == 1 ? "" : "s");
    if (n > MaxDeletes(key.first)) {
      violations.push_back({window, "deletes_per_target",
                            absl::StrCat(what, " (the rules allow ", MaxDeletes(key.first), ")")});
    }
    auto audited = evidence.audited_attempts.find(key);
    int attempts = audited == evidence.audited_attempts.end() ? 0 : audited->second;
    if (attempts < n) {
      // A disk that fails between the audit check and the record of a call
      // already sent: only a record written before the send (the call
      // path's) closes that gap.
      violations.push_back({window, "every_delete_audited",
                            absl::StrCat(what, " sent, ", attempts, " in the audit trail"),
                            absl::StartsWith(window, "audit_disk")});
    }
  }
  if (evidence.http_429 > 0) {
    violations.push_back({"(whole run)", "no_429",
                          absl::StrCat(evidence.http_429, " HTTP 429 at the SP-API emulator")});
  }
  for (auto const& job : ledger.jobs()) {
    auto it = evidence.jobs.find(job.name);
    if (it == evidence.jobs.end() || it->second.done) continue;
    violations.push_back({job.window, "no_job_stuck",
                          absl::StrCat(job.name, job.sqlite ? " (SQLite)" : " (PostgreSQL)",
                                       " unfinished after recovery: ", it->second.states),
                          /*engine=*/true});
  }
  // Unrelated calls, and what each dependency's health said.
  std::map<std::pair<std::string, std::string>, bool> said_not_serving;  // (fault, dependency)
  std::map<std::pair<int, std::string>, CallRecord> last_health;        // (replica, dependency)
  for (auto const& call : ledger.calls()) {
    Fault const* fault = FaultOf(faults, call.window);
    if (absl::StartsWith(call.kind, "dependency:")) {
      std::string dependency = call.kind.substr(11);
      if (fault != nullptr && fault->dependency == dependency && call.reason == "NOT_SERVING" &&
          (fault->affected_replica < 0 || fault->affected_replica == call.replica)) {
        said_not_serving[{fault->name, dependency}] = true;
      }
      if (call.window == "final") last_health[{call.replica, dependency}] = call;
      continue;
    }
    if (call.kind != "health" && call.kind != "unrelated_delete") continue;
    if (fault != nullptr && fault->stopped_replica == call.replica) continue;
    bool slow = call.latency > call.deadline + absl::Milliseconds(250) ||
                call.code == grpc::StatusCode::DEADLINE_EXCEEDED;
    bool down = call.kind == "health" && call.code != grpc::StatusCode::OK;
    if (!slow && !down) continue;
    violations.push_back(
        {call.window, "unrelated_calls_answer",
         absl::StrCat(call.kind, " on replica ", call.replica, " took ",
                      absl::FormatDuration(absl::Trunc(call.latency, absl::Milliseconds(1))),
                      " (deadline ", absl::FormatDuration(call.deadline), "): ",
                      call.code == grpc::StatusCode::OK
                          ? "OK"
                          : (call.message.empty() ? call.reason : call.message).substr(0, 120)),
         absl::StartsWith(call.window, "postgres_")});
  }
  for (auto const& fault : faults) {
    for (auto const& problem : fault.violations) {
      violations.push_back({fault.name, "the_fault_itself", problem});
    }
    if (!fault.inject || fault.dependency.empty()) continue;
    if (!said_not_serving[{fault.name, fault.dependency}]) {
      violations.push_back({fault.name, "health_tells_the_truth",
                            absl::StrCat("linkgateway.dependency.", fault.dependency,
                                         " never said NOT_SERVING while it ran")});
    }
  }
  for (auto const& [where, call] : last_health) {
    if (call.code == grpc::StatusCode::OK && call.reason == "SERVING") continue;
    violations.push_back(
        {"final", "health_tells_the_truth",
         absl::StrCat("linkgateway.dependency.", where.second, " on replica ", where.first, " is ",
                      call.reason, " after every fault healed")});
  }
  return violations;
}

void Report(Evidence const& evidence, Ledger const& ledger, std::vector<Fault> const& faults,
            std::vector<Violation> const& violations) {
  struct Row {
    int deletes = 0, ok = 0, replayed = 0, refused = 0, failed = 0, jobs = 0, probes = 0;
    int sent[3] = {0, 0, 0};
    int most[3] = {0, 0, 0};
    int violations = 0;
    // How long the calls no fault should slow took, on the replicas that
    // kept running.
    std::vector<absl::Duration> unrelated;
  };
  std::vector<std::string> order;
  std::map<std::string, Row> rows;
  auto row = [&](std::string const& window) -> Row& {
    std::string name = RowOf(window);
    if (!rows.count(name)) order.push_back(name);
    return rows[name];
  };
  for (auto const& window : ledger.windows()) row(window);
  for (auto const& call : ledger.calls()) {
    Row& r = row(call.window);
    if (call.kind == "job_start") {
      r.jobs += call.code == grpc::StatusCode::OK ? 1 : 0;
    } else if (call.kind == "delete") {
      ++r.deletes;
      if (call.code == grpc::StatusCode::OK) {
        (call.replayed ? r.replayed : r.ok)++;
      } else if (call.reason == "REQUEST_ID_UNVERIFIABLE" ||
                 call.reason == "IDEMPOTENCY_UNAVAILABLE" || call.reason == "AUDIT_UNAVAILABLE") {
        ++r.refused;
      } else {
        ++r.failed;
      }
    } else {
      ++r.probes;
      Fault const* fault = FaultOf(faults, call.window);
      bool stopped = fault != nullptr && fault->stopped_replica == call.replica;
      if ((call.kind == "health" || call.kind == "unrelated_delete") && !stopped) {
        r.unrelated.push_back(call.latency);
      }
    }
  }
  for (auto const& [key, n] : evidence.deletes) {
    Row& r = row(evidence.delete_window.at(key));
    int p = static_cast<int>(key.first);
    r.sent[p] += n;
    r.most[p] = std::max(r.most[p], n);
  }
  for (auto const& v : violations) row(v.window).violations++;
  std::printf(
      "\n%-22s %6s %5s %5s %7s %6s %5s | %-21s | %-14s | %s\n", "window", "calls", "ok",
      "repl", "refused", "failed", "jobs", "DELETEs imi/sms/sp", "max per target", "violations");
  for (auto const& name : order) {
    Row const& r = rows[name];
    std::printf("%-22s %6d %5d %5d %7d %6d %5d | %6d %6d %6d | %4d %4d %4d | %d\n", name.c_str(),
                r.deletes, r.ok, r.replayed, r.refused, r.failed, r.jobs, r.sent[0], r.sent[1],
                r.sent[2], r.most[0], r.most[1], r.most[2], r.violations);
  }
  // A figure, not a rule (the rule is the deadline): what each fault cost
  // the calls it should not have touched.
  std::printf("\n%-22s %6s %8s %8s %8s\n", "unrelated calls (ms)", "calls", "p50", "p99", "max");
  auto ms = [](absl::Duration d) { return absl::ToDoubleMilliseconds(d); };
  for (auto const& name : order) {
    std::vector<absl::Duration> took = rows[name].unrelated;
    if (took.empty()) continue;
    std::sort(took.begin(), took.end());
    auto at = [&took](double q) {
      return took[std::min(took.size() - 1, static_cast<std::size_t>(q * took.size()))];
    };
    std::printf("%-22s %6zu %8.1f %8.1f %8.1f\n", name.c_str(), took.size(), ms(at(0.5)),
                ms(at(0.99)), ms(took.back()));
  }
  int done = 0;
  for (auto const& [name, job] : evidence.jobs) done += job.done ? 1 : 0;
  int covered = 0, deletes = 0;
  for (auto const& [key, n] : evidence.deletes) {
    deletes += n;
    auto audited = evidence.audited_attempts.find(key);
    if (audited != evidence.audited_attempts.end() && audited->second >= n) ++covered;
  }
  std::printf("\njobs: %d started, %d finished; DELETEs: %d to %d targets, %d of them with "
              "every DELETE in the audit trail (%d records, %d unreadable lines); HTTP 429: %d\n",
              static_cast<int>(ledger.jobs().size()), done, deletes,
              static_cast<int>(evidence.deletes.size()), covered, evidence.audit_records,
              evidence.audit_unreadable, evidence.http_429);
  for (auto const& fault : faults) {
    for (auto const& note : fault.notes) std::printf("  %s: %s\n", fault.name.c_str(), note.c_str());
  }
  if (!violations.empty()) std::printf("\nviolations:\n");
  std::map<std::string, int> shown;
  for (auto const& v : violations) {
    if (++shown[v.rule + v.window] > 5) continue;  // the first few of each
    std::printf("  [%s] %s%s: %s\n", v.window.c_str(), v.rule.c_str(),
                v.engine ? " (coordinator's part)" : "", v.what.c_str());
  }
}

}  // namespace linkgateway::tests::nemesis
